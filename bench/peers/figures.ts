// What one run of a shape on a peer reports.

export interface PeerRun {
  /** Jobs the peer ran. */
  jobs: number
  /** Wall-clock seconds, as each peer's runner defines its start and end. */
  seconds: number
}
