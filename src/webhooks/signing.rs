//! Signatures: `Voelgoed-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
//! under the endpoint's secret. The time is signed too, so a receiver can refuse a
//! replayed delivery by its age.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header a delivery's signature travels in.
pub const SIGNATURE_HEADER: &str = "Voelgoed-Signature";
/// The header naming the delivery (the same id as the body's `id`).
pub const DELIVERY_HEADER: &str = "Voelgoed-Delivery";
/// The header naming the event type.
pub const EVENT_HEADER: &str = "Voelgoed-Event";

/// A new endpoint secret: shown once, stored to sign with.
pub fn new_secret() -> String {
    format!("whsec_{}", crate::auth::random_token())
}

/// A new, unique delivery id.
pub fn new_delivery_key() -> String {
    let bytes: [u8; 16] = rand::random();
    format!("dlv_{}", hex(&bytes))
}

/// The signature header's value for `body` sent at `unix_seconds`.
pub fn signature(secret: &str, unix_seconds: i64, body: &str) -> String {
    format!("t={unix_seconds},v1={}", hex(&mac(secret, unix_seconds, body)))
}

fn mac(secret: &str, unix_seconds: i64, body: &str) -> Vec<u8> {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return Vec::new();
    };
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_time_dot_body() {
        // RFC 4231 test case 2 (key "Jefe"), its data split as "<t>.<body>".
        assert_eq!(
            signature("Jefe", 0, "what do ya want for nothing?"),
            "t=0,v1=".to_owned() + &hex(&mac("Jefe", 0, "what do ya want for nothing?"))
        );
        assert_eq!(
            hex(&mac("Jefe", 1234, "x")),
            hex(&{
                let mut m = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
                m.update(b"1234.x");
                m.finalize().into_bytes().to_vec()
            })
        );
        assert_ne!(signature("Jefe", 1, "x"), signature("Jefe", 2, "x"));
        assert_ne!(new_delivery_key(), new_delivery_key());
    }
}
