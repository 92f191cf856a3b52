//! Brazilian phone numbers: stored as national digits (DDD + number), shown as
//! "(11) 98765-4321", typed in any shape.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::text::digits;

/// The area codes (DDD) in use in Brazil.
pub const AREA_CODES: [u8; 67] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46, 47, 48,
    49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89,
    91, 92, 93, 94, 95, 96, 97, 98, 99,
];

/// A Brazilian phone number: two-digit area code (DDD) and 8 or 9 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

/// The national digits of whatever was typed: country code 55 and trunk
/// zeros dropped, so "+55 11 98765 4321", "011 98765-4321" and
/// "(11) 98765-4321" all give "11987654321".
pub fn national_digits(input: &str) -> String {
    let mut d = digits(input);
    let trimmed = d.trim_start_matches('0');
    if trimmed.len() != d.len() {
        d = trimmed.to_owned();
    }
    if d.len() >= 12 && d.starts_with("55") {
        d.drain(..2);
    }
    d
}

impl Phone {
    /// Reads a full phone number with its DDD, in any punctuation.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        if input.chars().any(|c| c.is_ascii_alphabetic()) {
            return Err(DomainError::invalid("telefone deve ter só números"));
        }
        let d = national_digits(input);
        match d.len() {
            10 | 11 => {
                let ddd: u8 = d[..2].parse().unwrap_or(0);
                if !AREA_CODES.contains(&ddd) {
                    return Err(DomainError::invalid(format!("DDD {} não existe", &d[..2])));
                }
                if d.len() == 11 && d.as_bytes()[2] != b'9' {
                    return Err(DomainError::invalid("celular com 9 dígitos deve começar com 9"));
                }
                Ok(Phone(d))
            }
            8 | 9 => Err(DomainError::invalid("informe o telefone com DDD, por exemplo (11) 98765-4321")),
            20..=22 => Err(DomainError::invalid("parecem ser dois telefones: separe-os com /")),
            _ => Err(DomainError::invalid(format!(
                "telefone inválido: esperado DDD e 8 ou 9 dígitos, foram informados {} dígitos",
                d.len()
            ))),
        }
    }

    /// Rebuilds a phone from stored digits, trusting the store.
    pub fn from_stored(digits: &str) -> Self {
        Phone(digits.to_owned())
    }

    /// National digits, as stored: "11987654321".
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// "(11) 98765-4321" or "(11) 3456-7890".
    pub fn formatted(&self) -> String {
        let d = &self.0;
        if d.len() < 10 {
            return d.clone();
        }
        let split = d.len() - 4;
        format!("({}) {}-{}", &d[..2], &d[2..split], &d[split..])
    }

    /// "+5511987654321": the international form, which Telegram turns into a
    /// number to tap and call.
    pub fn international(&self) -> String {
        format!("+55{}", self.0)
    }

    /// "(11) *****-4321": enough to confirm with the caller, nothing more.
    pub fn masked(&self) -> String {
        let d = &self.0;
        if d.len() < 6 {
            return "****".into();
        }
        format!("({}) *****-{}", &d[..2], &d[d.len() - 4..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_common_shape_gives_the_same_number() {
        for s in ["(11) 98765-4321", "11987654321", "+55 11 98765 4321", "011 98765-4321", "55 (11) 9 8765-4321"] {
            assert_eq!(Phone::parse(s).unwrap().digits(), "11987654321", "{s}");
        }
    }

    #[test]
    fn landline_is_formatted_with_four_and_four() {
        assert_eq!(Phone::parse("1134567890").unwrap().formatted(), "(11) 3456-7890");
        assert_eq!(Phone::parse("11987654321").unwrap().formatted(), "(11) 98765-4321");
    }

    #[test]
    fn number_without_area_code_is_refused_with_hint() {
        let e = Phone::parse("98765-4321").unwrap_err().to_string();
        assert!(e.contains("DDD"), "{e}");
        assert!(Phone::parse("abc").is_err());
        assert!(Phone::parse("11887654321").is_err());
    }

    #[test]
    fn an_area_code_that_does_not_exist_is_named() {
        assert_eq!(Phone::parse("(20) 98765-4321").unwrap_err().to_string(), "DDD 20 não existe");
        assert_eq!(Phone::parse("(10) 3456-7890").unwrap_err().to_string(), "DDD 10 não existe");
        for ddd in AREA_CODES {
            assert!(Phone::parse(&format!("{ddd}987654321")).is_ok(), "{ddd}");
        }
    }

    #[test]
    fn two_numbers_run_together_are_told_apart_from_a_typo() {
        let e = Phone::parse("(12) 98765-4321 (20) 98765-4321").unwrap_err().to_string();
        assert!(e.contains("dois telefones"), "{e}");
    }

    #[test]
    fn masked_keeps_area_code_and_last_four() {
        assert_eq!(Phone::parse("11987654321").unwrap().masked(), "(11) *****-4321");
    }
}
