//! Money in reais as whole centavos: never a float, shown as "R$ 1.234,56".

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// An amount of reais in centavos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    /// Zero reais.
    pub const ZERO: Money = Money(0);

    /// The amount in centavos.
    pub fn cents(self) -> i64 {
        self.0
    }

    /// Reads an amount as Brazilians write it: "1.234,56", "R$ 99,90", "99",
    /// "-10,00"; a dot followed by one or two digits is taken as the decimal
    /// separator ("12.5"), and by exactly three as thousands ("1.234").
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let mut s = input.trim();
        let mut negative = false;
        if let Some(rest) = s.strip_prefix('-') {
            negative = true;
            s = rest.trim();
        }
        if let Some(rest) = s.strip_prefix("R$") {
            s = rest.trim();
        }
        if let Some(rest) = s.strip_prefix('-') {
            negative = true;
            s = rest.trim();
        }
        if s.is_empty() {
            return Err(DomainError::invalid("informe um valor, por exemplo 99,90"));
        }
        if !s.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
            return Err(DomainError::invalid(format!(
                "valor inválido: \"{input}\"; use só números, por exemplo 1.234,56"
            )));
        }
        let (int_part, frac_part) = if let Some((i, f)) = s.rsplit_once(',') {
            (i.replace('.', ""), f.to_owned())
        } else if let Some((i, f)) = s.rsplit_once('.') {
            if f.len() == 3 { (s.replace('.', ""), String::new()) } else { (i.replace('.', ""), f.to_owned()) }
        } else {
            (s.to_owned(), String::new())
        };
        if int_part.contains(',') || frac_part.contains('.') || frac_part.len() > 2 {
            return Err(DomainError::invalid(format!(
                "valor inválido: \"{input}\"; use no máximo dois dígitos depois da vírgula"
            )));
        }
        let int_part = if int_part.is_empty() { "0".to_owned() } else { int_part };
        let reais: i64 = int_part.parse().map_err(|_| DomainError::invalid(format!("valor inválido: \"{input}\"")))?;
        let cents: i64 = match frac_part.len() {
            0 => 0,
            1 => frac_part.parse::<i64>().unwrap_or(0) * 10,
            _ => frac_part.parse::<i64>().unwrap_or(0),
        };
        let total = reais
            .checked_mul(100)
            .and_then(|r| r.checked_add(cents))
            .ok_or_else(|| DomainError::invalid("valor grande demais"))?;
        Ok(Money(if negative { -total } else { total }))
    }

    /// `self` times `basis_points` / 10 000, rounded half up (away from zero).
    pub fn percent_bp(self, basis_points: i64) -> Money {
        Money(round_div(i128::from(self.0) * i128::from(basis_points), 10_000))
    }
}

/// Division rounding half away from zero, for money arithmetic.
pub(crate) fn round_div(n: i128, d: i128) -> i64 {
    let q = (n.abs() + d / 2) / d;
    (if n < 0 { -q } else { q }) as i64
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

impl std::fmt::Display for Money {
    /// "R$ 1.234,56"; negative amounts as "-R$ 10,00".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let abs = self.0.unsigned_abs();
        let reais = (abs / 100).to_string();
        let mut grouped = String::with_capacity(reais.len() + reais.len() / 3);
        for (i, c) in reais.chars().enumerate() {
            if i > 0 && (reais.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}R$ {grouped},{:02}", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brazilian_amounts_parse_to_centavos() {
        let cases = [
            ("1.234,56", 123_456),
            ("R$ 99,90", 9_990),
            ("99", 9_900),
            ("-10,00", -1_000),
            ("1234.56", 123_456),
            ("12.5", 1_250),
            ("1.234", 123_400),
            ("0,5", 50),
            ("1.000.000,00", 100_000_000),
        ];
        for (s, c) in cases {
            assert_eq!(Money::parse(s).unwrap(), Money(c), "{s}");
        }
    }

    #[test]
    fn nonsense_amounts_are_refused_with_reason() {
        for s in ["", "abc", "1,234,5", "10,999", "R$"] {
            assert!(Money::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn money_is_shown_the_brazilian_way() {
        assert_eq!(Money(123_456).to_string(), "R$ 1.234,56");
        assert_eq!(Money(5).to_string(), "R$ 0,05");
        assert_eq!(Money(-1_000).to_string(), "-R$ 10,00");
        assert_eq!(Money(100_000_000).to_string(), "R$ 1.000.000,00");
    }

    #[test]
    fn two_percent_rounds_half_up() {
        assert_eq!(Money(9_990).percent_bp(200), Money(200));
        assert_eq!(Money(25).percent_bp(200), Money(1));
    }

    proptest::proptest! {
        #[test]
        fn display_then_parse_round_trips(c in -1_000_000_000_000i64..1_000_000_000_000) {
            let m = Money(c);
            proptest::prop_assert_eq!(Money::parse(&m.to_string()).unwrap(), m);
        }
    }
}
