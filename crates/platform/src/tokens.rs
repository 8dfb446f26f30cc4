//! Secrets handed out (sessions, device tokens, reset links) and how they are stored:
//! only their hash is kept, so a copy of the database lets nobody in.

/// A random token, hex-encoded: 32 bytes from the OS-seeded CSPRNG.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex(&bytes)
}

/// SHA-256 of a token, hex-encoded: what the database stores instead of the token.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
