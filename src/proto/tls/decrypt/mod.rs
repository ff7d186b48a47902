//! Decryption of TLS records with known secrets: the TLS 1.2 PRF key block,
//! the TLS 1.3 traffic-key derivation (HKDF-Expand-Label), and AEAD record
//! opening (AES-128/256-GCM, ChaCha20-Poly1305) with ring.
