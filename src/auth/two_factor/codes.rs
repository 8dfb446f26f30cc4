//! What a person types in a code field, and recovery codes: made, shown and hashed.

use crate::auth::{token_hash, AuthError};

/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Base32's alphabet, lower case: no 0, 1, 8 or 9 to mistake for letters.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// Characters of a recovery code: 16 of 32 symbols, 80 random bits.
const RECOVERY_LENGTH: usize = 16;
/// Longer than any code with generous spaces and dashes: refused unread.
const MAX_TYPED: usize = 64;

/// A code as typed, read: the six digits of an authenticator app, or a recovery code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnteredCode {
    Totp(String),
    /// Normalised: lower case, without spaces or dashes.
    Recovery(String),
}

impl EnteredCode {
    /// Spaces and dashes are ignored, and case. Anything that cannot be a code is a
    /// `BadForm` naming what a code looks like.
    pub fn parse(typed: &str) -> Result<Self, AuthError> {
        let bad = |message: &str| Err(AuthError::BadForm(message.to_owned()));
        if typed.len() > MAX_TYPED {
            return bad("The code is too long: enter the 6 digits your app shows, or a recovery code.");
        }
        let code: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_lowercase();
        if code.is_empty() {
            return bad("Enter the 6-digit code your authenticator app shows.");
        }
        if code.bytes().all(|b| b.is_ascii_digit()) {
            return match code.len() {
                6 => Ok(Self::Totp(code)),
                _ => bad("The code from your authenticator app has exactly 6 digits."),
            };
        }
        // People read a recovery code's o and l as the digits 0 and 1.
        let code = code.replace('0', "o").replace('1', "l");
        match code.len() == RECOVERY_LENGTH && code.bytes().all(|b| ALPHABET.contains(&b)) {
            true => Ok(Self::Recovery(code)),
            false => {
                bad("Enter the 6 digits your authenticator app shows (digits only), or one of your recovery codes.")
            }
        }
    }

    /// The six digits only; a recovery code is refused with `BadForm`.
    pub fn parse_app_code(typed: &str) -> Result<String, AuthError> {
        match Self::parse(typed)? {
            Self::Totp(code) => Ok(code),
            Self::Recovery(_) => Err(AuthError::BadForm(
                "Enter the 6 digits your authenticator app shows, not a recovery code.".into(),
            )),
        }
    }
}

/// `RECOVERY_CODES` new recovery codes, as shown: four groups of four.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let code: String = (0..RECOVERY_LENGTH)
                .map(|_| char::from(ALPHABET[usize::from(rand::random::<u8>() % 32)]))
                .collect();
            group_for_reading(&code, 4, '-')
        })
        .collect()
}

/// What is stored of a recovery code (as shown or as typed): the SHA-256 of its
/// normalised form. A hash suffices: the code is 80 random bits, not a password.
pub fn recovery_code_hash(code: &str) -> String {
    let normalised: String = code.chars().filter(|c| *c != '-').collect::<String>().to_lowercase();
    token_hash(&normalised)
}

/// `text` in groups of `size` characters joined by `separator`, for reading aloud or
/// typing over.
pub fn group_for_reading(text: &str, size: usize, separator: char) -> String {
    let mut grouped = String::with_capacity(text.len() + text.len() / size.max(1));
    for (i, c) in text.chars().enumerate() {
        if i > 0 && i % size.max(1) == 0 {
            grouped.push(separator);
        }
        grouped.push(c);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_are_read_or_refused() {
        assert_eq!(
            EnteredCode::parse(" 123 456 ").ok(),
            Some(EnteredCode::Totp("123456".into()))
        );
        assert!(EnteredCode::parse("").is_err());
        assert!(EnteredCode::parse("12345").is_err());
        assert!(EnteredCode::parse("1234567").is_err());
        assert!(EnteredCode::parse("12a456").is_err());
        assert!(EnteredCode::parse(&"1".repeat(65)).is_err());
        let code = &new_recovery_codes()[0];
        let read = EnteredCode::parse(&code.to_uppercase()).unwrap();
        let EnteredCode::Recovery(normalised) = read else {
            panic!("a recovery code")
        };
        assert_eq!(recovery_code_hash(&normalised), recovery_code_hash(code));
    }

    #[test]
    fn recovery_codes_are_ten_distinct_groups_of_four() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|c| c.len() == 19 && c.split('-').count() == 4));
        let distinct: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), 10);
    }
}
