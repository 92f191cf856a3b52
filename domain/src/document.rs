//! CPF and CNPJ, accepted only with valid check digits, and shown masked to
//! those who may not see them whole.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::text::digits;

/// A person's (CPF, 11 digits) or a company's (CNPJ, 14 digits) tax document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "digits", rename_all = "lowercase")]
pub enum Document {
    /// Cadastro de Pessoas Físicas.
    Cpf(String),
    /// Cadastro Nacional da Pessoa Jurídica.
    Cnpj(String),
}

fn check_digit(digits: &[u8], weights: &[u32]) -> u8 {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| u32::from(*d) * w).sum();
    let rest = sum % 11;
    if rest < 2 { 0 } else { (11 - rest) as u8 }
}

fn valid_cpf(d: &[u8]) -> bool {
    if d.len() != 11 || d.iter().all(|x| *x == d[0]) {
        return false;
    }
    let w1: Vec<u32> = (2..=10).rev().collect();
    let w2: Vec<u32> = (2..=11).rev().collect();
    check_digit(&d[..9], &w1) == d[9] && check_digit(&d[..10], &w2) == d[10]
}

fn valid_cnpj(d: &[u8]) -> bool {
    const W1: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const W2: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    if d.len() != 14 || d.iter().all(|x| *x == d[0]) {
        return false;
    }
    check_digit(&d[..12], &W1) == d[12] && check_digit(&d[..13], &W2) == d[13]
}

impl Document {
    /// Reads a CPF or CNPJ typed in any punctuation; the number of digits says
    /// which one it is.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let only = digits(input);
        if input.chars().any(|c| c.is_ascii_alphabetic()) {
            return Err(DomainError::invalid("CPF/CNPJ deve ter só números"));
        }
        let bytes: Vec<u8> = only.bytes().map(|b| b - b'0').collect();
        match bytes.len() {
            11 if valid_cpf(&bytes) => Ok(Document::Cpf(only)),
            11 => Err(DomainError::invalid("CPF inválido: os dígitos verificadores não conferem")),
            14 if valid_cnpj(&bytes) => Ok(Document::Cnpj(only)),
            14 => Err(DomainError::invalid("CNPJ inválido: os dígitos verificadores não conferem")),
            0 => Err(DomainError::invalid("informe o CPF ou o CNPJ")),
            n => Err(DomainError::invalid(format!("CPF tem 11 dígitos e CNPJ tem 14; foram informados {n}"))),
        }
    }

    /// The digits alone, as stored.
    pub fn digits(&self) -> &str {
        match self {
            Document::Cpf(d) | Document::Cnpj(d) => d,
        }
    }

    /// Whether this is a company's document.
    pub fn is_company(&self) -> bool {
        matches!(self, Document::Cnpj(_))
    }

    /// Rebuilds a document from stored digits, trusting the store.
    pub fn from_stored(digits: &str) -> Option<Self> {
        match digits.len() {
            11 => Some(Document::Cpf(digits.to_owned())),
            14 => Some(Document::Cnpj(digits.to_owned())),
            _ => None,
        }
    }

    /// "123.456.789-09" or "12.345.678/0001-95".
    pub fn formatted(&self) -> String {
        match self {
            Document::Cpf(d) => format!("{}.{}.{}-{}", &d[0..3], &d[3..6], &d[6..9], &d[9..11]),
            Document::Cnpj(d) => format!("{}.{}.{}/{}-{}", &d[0..2], &d[2..5], &d[5..8], &d[8..12], &d[12..14]),
        }
    }

    /// The document with its middle hidden: "***.456.789-**", "12.345.***/****-**"
    /// keeps enough for a person to confirm it with the client.
    pub fn masked(&self) -> String {
        match self {
            Document::Cpf(d) => format!("***.{}.{}-**", &d[3..6], &d[6..9]),
            Document::Cnpj(d) => format!("{}.{}.***/****-**", &d[0..2], &d[2..5]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_cpf_in_any_punctuation_is_accepted() {
        for s in ["529.982.247-25", "52998224725", " 529 982 247 25 "] {
            assert_eq!(Document::parse(s).unwrap(), Document::Cpf("52998224725".into()));
        }
    }

    #[test]
    fn cpf_with_wrong_check_digit_is_refused_with_reason() {
        let e = Document::parse("529.982.247-24").unwrap_err().to_string();
        assert!(e.contains("CPF inválido"), "{e}");
        assert!(Document::parse("111.111.111-11").is_err());
    }

    #[test]
    fn valid_cnpj_is_accepted_and_formatted() {
        let d = Document::parse("11.222.333/0001-81").unwrap();
        assert!(d.is_company());
        assert_eq!(d.formatted(), "11.222.333/0001-81");
        assert_eq!(d.masked(), "11.222.***/****-**");
        assert!(Document::parse("11.222.333/0001-82").is_err());
    }

    #[test]
    fn wrong_length_says_how_many_digits() {
        let e = Document::parse("1234").unwrap_err().to_string();
        assert!(e.contains("foram informados 4"), "{e}");
    }

    #[test]
    fn cpf_is_masked_in_the_middle() {
        let d = Document::parse("52998224725").unwrap();
        assert_eq!(d.formatted(), "529.982.247-25");
        assert_eq!(d.masked(), "***.982.247-**");
    }

    proptest::proptest! {
        #[test]
        fn any_nine_digits_with_computed_checks_make_a_valid_cpf(base in proptest::collection::vec(0u8..10, 9)) {
            proptest::prop_assume!(!base.iter().all(|x| *x == base[0]));
            let mut d = base.clone();
            let w1: Vec<u32> = (2..=10).rev().collect();
            d.push(check_digit(&d, &w1));
            let w2: Vec<u32> = (2..=11).rev().collect();
            d.push(check_digit(&d, &w2));
            let s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
            proptest::prop_assert!(Document::parse(&s).is_ok());
            // Changing the last digit always breaks it.
            let mut bad = d.clone();
            bad[10] = (bad[10] + 1) % 10;
            let s: String = bad.iter().map(|x| char::from(b'0' + x)).collect();
            proptest::prop_assert!(Document::parse(&s).is_err());
        }
    }
}
