import Reactor
import TLS

extension Connection {
    /// Decrypts what arrived and hands the plaintext on; sends what the read produced
    /// (handshake messages, session tickets, alerts).
    func receiveTLS(_ bytes: UnsafeRawBufferPointer) {
        guard let tls, channel.isOpen else { return }
        do {
            try tls.receive(bytes, scratch: context.tlsReadScratch) { plaintext in
                receivePlaintext(plaintext)
            }
        } catch {
            context.logger.debug("TLS failure", metadata: ["error": "\(error)"])
            drainTLS()
            channel.closeAfterFlush()
            return
        }
        if tls.peerClosed {
            closeTransport()
        } else {
            drainTLS()
        }
    }

    /// Encrypts everything sent since the last flush, then moves the records (and whatever a
    /// read produced) to the channel as one write.
    func flushTLS() {
        guard let tls else { return }
        if !pendingPlaintext.isEmpty {
            var plaintext: [UInt8] = []
            swap(&plaintext, &pendingPlaintext)
            var failure: Error?
            channel.writeBatch { emit in
                plaintext.withUnsafeBytes { bytes in
                    do {
                        try tls.send(bytes, scratch: context.tlsWriteScratch, ciphertext: emit)
                    } catch {
                        failure = error
                    }
                }
            }
            if let failure {
                context.logger.debug("TLS write failure", metadata: ["error": "\(failure)"])
                channel.close()
                return
            }
            // Keep a small buffer for the next flush; give a large one back.
            if plaintext.capacity <= 4096 {
                plaintext.removeAll(keepingCapacity: true)
                pendingPlaintext = plaintext
            }
        }
        drainTLS()
    }

    /// Moves ciphertext OpenSSL produced to the channel, as one write.
    func drainTLS() {
        guard let tls, tls.hasCiphertext else { return }
        channel.writeBatch { emit in tls.drainCiphertext(scratch: context.tlsWriteScratch, emit) }
    }
}
