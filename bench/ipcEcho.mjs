// The other end of the IPC round-trip measurement: answers every message.
process.on('message', (m) => process.send(m))
process.on('disconnect', () => process.exit(0))
