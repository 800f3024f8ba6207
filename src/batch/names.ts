// The batch systems' names, apart from their code (choose.ts), so that the
// command line can list them without loading any batch system.

export const BATCH_SYSTEMS = ['local', 'slurm'] as const
export type BatchSystemName = (typeof BATCH_SYSTEMS)[number]
