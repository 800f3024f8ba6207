import type { JobEvent } from './catalogue.ts'

// The compact stored form of the events written once or more per job: a CBOR
// array [code, v, ...fields] instead of a map, so that field names are not
// stored again in every event (a job's lifecycle shrinks from ~340 to ~100
// bytes). Other events are stored as maps. Readers take both forms, so a log
// holding either stays readable.
//
// A layout is part of the stored format: never reorder, rename or remove a
// field or a code. A new field goes at the end of its list, optional ('?').

/** A field: its name ('?' first when it may be absent), or a nested record laid out the same way. */
type Field = string | { name: string; fields: readonly Field[] }

const SPEC: Field = { name: 'spec', fields: ['work', { name: 'resources', fields: ['cores', 'memory', 'disk', 'time'] }, '?retryCount', '?diskAsked'] }

const LAYOUTS: Readonly<Record<number, { type: JobEvent['type']; fields: readonly Field[] }>> = {
  1: { type: 'JobCreated', fields: ['at', 'jobId', 'parent', 'relation', SPEC] },
  2: { type: 'JobIssued', fields: ['at', 'jobId', 'attempt', 'epoch', '?reserved', '?chainedFrom'] },
  3: {
    type: 'JobFinished',
    fields: [
      'at',
      'jobId',
      'attempt',
      'value',
      { name: 'stats', fields: ['wallMs', 'cpuMs', 'maxRss'] },
      { name: 'successors', fields: ['first', 'children', 'followOns'] },
    ],
  },
  4: { type: 'JobsCreated', fields: ['at', 'first', 'count', 'parent', 'relation', SPEC] },
}

const CODES = new Map(Object.entries(LAYOUTS).map(([code, { type }]) => [type, Number(code)]))

/** The compact form of `event`, or undefined when its type is stored as a map. */
export function pack(event: JobEvent): unknown[] | undefined {
  const code = CODES.get(event.type)
  if (code === undefined) return undefined
  return [code, event.v, ...packFields(event as unknown as Record<string, unknown>, LAYOUTS[code].fields)]
}

/** The event a compact form stands for. */
export function unpack(packed: unknown[]): unknown {
  const [code, v, ...values] = packed
  const layout = typeof code === 'number' ? LAYOUTS[code] : undefined
  if (layout === undefined) throw new Error(`unknown compact event code ${JSON.stringify(code)}`)
  return { type: layout.type, v, ...unpackFields(values, layout.fields) }
}

function packFields(record: Record<string, unknown>, fields: readonly Field[]): unknown[] {
  const out = fields.map((field) => {
    if (typeof field === 'string') return record[field.replace(/^\?/, '')]
    const nested = record[field.name]
    return nested === undefined ? undefined : packFields(nested as Record<string, unknown>, field.fields)
  })
  // Absent optional fields at the end cost nothing.
  while (out.length > 0 && out[out.length - 1] === undefined && isOptional(fields[out.length - 1])) out.pop()
  return out
}

function unpackFields(values: readonly unknown[], fields: readonly Field[]): Record<string, unknown> {
  const record: Record<string, unknown> = {}
  fields.forEach((field, i) => {
    const value = values[i]
    if (typeof field !== 'string') {
      record[field.name] = Array.isArray(value) ? unpackFields(value, field.fields) : value
    } else if (!isOptional(field)) {
      record[field] = value
    } else if (value !== undefined) {
      record[field.slice(1)] = value
    }
  })
  return record
}

function isOptional(field: Field | undefined): boolean {
  return typeof field === 'string' && field.startsWith('?')
}
