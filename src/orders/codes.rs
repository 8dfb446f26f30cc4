//! Order codes people read out on the phone, and unguessable ticket codes.

use rand::Rng;

/// Crockford base32: no I, L, O or U, so codes survive being read aloud.
pub const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn random_code(len: usize, rng: &mut impl Rng) -> String {
    (0..len)
        .map(|_| CODE_ALPHABET[rng.random_range(0..32)] as char)
        .collect()
}

/// What every order code starts with.
pub const ORDER_CODE_PREFIX: &str = "VG-";

/// `VG-` and 8 characters (40 bits): unique per organisation, short enough to say.
pub fn order_code(rng: &mut impl Rng) -> String {
    format!("VG-{}", random_code(8, rng))
}

/// Characters of a ticket code.
pub const TICKET_CODE_CHARS: usize = 20;

/// 20 characters (100 bits) from a CSPRNG: what a barcode on a ticket carries.
pub fn ticket_code(rng: &mut impl Rng) -> String {
    random_code(TICKET_CODE_CHARS, rng)
}

/// A unique, random-looking order code derived from the order id, for bulk data: the
/// multiplier is odd, so the mapping is a bijection on 40 bits and codes never collide.
pub fn order_code_for_id(id: i64) -> String {
    let mut mixed = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) & ((1 << 40) - 1);
    let mut code = [b'0'; 8];
    for slot in code.iter_mut().rev() {
        *slot = CODE_ALPHABET[(mixed & 31) as usize];
        mixed >>= 5;
    }
    format!("VG-{}", String::from_utf8_lossy(&code))
}
