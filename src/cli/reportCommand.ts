import { readReport } from '../ui/report/reportData.ts'
import { renderReport } from '../ui/report/renderReport.ts'
import { checkOutput, writeReport } from '../ui/report/writeReport.ts'

/** `jobtree report`: the run as one self-contained HTML page (summary, per-target table, timeline, failures, critical path). */
export async function reportCommand(dir: string, flags: { output: string }): Promise<number> {
  const path = checkOutput(flags.output)
  const data = await readReport(dir)
  writeReport(path, renderReport(data))
  process.stdout.write(`${path}\n`)
  return 0
}
