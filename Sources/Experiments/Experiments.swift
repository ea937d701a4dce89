// Training protocol.
