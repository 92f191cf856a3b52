//! Money in reais as whole centavos: never a float, shown as "R$ 1.234,56".
//!
//! Amounts people and files send in are bounded by [`Money::LIMIT`], and all
//! arithmetic is checked: a sum that would not fit is a [`DomainError`], never
//! a panic or a wrapped number. There are no `+`/`-` operators on purpose.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// An amount of reais in centavos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    /// Zero reais.
    pub const ZERO: Money = Money(0);

    /// The largest amount accepted from a person or a file: R$ 99.999.999,99.
    /// Far above any receivable or plan of a provider, and small enough that
    /// ninety million of them still add up inside an `i64`.
    pub const LIMIT: Money = Money(9_999_999_999);

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
        // Only digits are left: a number that does not parse is too long.
        let reais: i64 = int_part.parse().map_err(|_| too_large(input))?;
        let cents: i64 = match frac_part.len() {
            0 => 0,
            1 => frac_part.parse::<i64>().unwrap_or(0) * 10,
            _ => frac_part.parse::<i64>().unwrap_or(0),
        };
        let total = reais.checked_mul(100).and_then(|r| r.checked_add(cents)).filter(|t| *t <= Money::LIMIT.0);
        let Some(total) = total else { return Err(too_large(input)) };
        Ok(Money(if negative { -total } else { total }))
    }

    /// The sum, or an error when it would not fit.
    pub fn checked_add(self, rhs: Money) -> Result<Money, DomainError> {
        self.0.checked_add(rhs.0).map(Money).ok_or_else(out_of_range)
    }

    /// The difference, or an error when it would not fit.
    pub fn checked_sub(self, rhs: Money) -> Result<Money, DomainError> {
        self.0.checked_sub(rhs.0).map(Money).ok_or_else(out_of_range)
    }

    /// The sum of `amounts`, or an error when it would not fit.
    pub fn total(amounts: impl IntoIterator<Item = Money>) -> Result<Money, DomainError> {
        amounts.into_iter().try_fold(Money::ZERO, Money::checked_add)
    }

    /// `self` times `basis_points` / 10 000, rounded half up (away from zero),
    /// or an error when it would not fit.
    pub fn percent_bp(self, basis_points: i64) -> Result<Money, DomainError> {
        round_div(i128::from(self.0) * i128::from(basis_points), 10_000)
    }
}

fn too_large(input: &str) -> DomainError {
    DomainError::invalid(format!("valor \"{}\" acima do limite de {}", input.trim(), Money::LIMIT))
}

/// What a person reads when stored amounts add up beyond what can be shown:
/// only data written before amounts were bounded can get here.
fn out_of_range() -> DomainError {
    DomainError::invalid(format!("os valores deste cliente passam do limite de {}; corrija-os no ERP", Money::LIMIT))
}

/// Division rounding half away from zero, for money arithmetic; an error
/// when the quotient does not fit in centavos. `d` is positive.
pub(crate) fn round_div(n: i128, d: i128) -> Result<Money, DomainError> {
    let q = n.checked_abs().and_then(|a| a.checked_add(d / 2)).map(|a| a / d).ok_or_else(out_of_range)?;
    let q = i64::try_from(q).map_err(|_| out_of_range())?;
    Ok(Money(if n < 0 { -q } else { q }))
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
            ("99.999.999,99", 9_999_999_999),
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
        assert_eq!(Money(9_990).percent_bp(200).unwrap(), Money(200));
        assert_eq!(Money(25).percent_bp(200).unwrap(), Money(1));
    }

    #[test]
    fn amounts_above_the_limit_are_refused_with_the_limit() {
        let err = Money::parse("92233720368547758,07").unwrap_err().to_string();
        assert!(err.contains("acima do limite de R$ 99.999.999,99"), "{err}");
        assert!(Money::parse("100.000.000,00").is_err());
        assert!(Money::parse("-100.000.000,00").is_err());
        assert_eq!(Money::parse("99.999.999,99").unwrap(), Money::LIMIT);
    }

    #[test]
    fn sums_that_would_overflow_are_errors_not_panics() {
        let huge = Money(i64::MAX / 2 + 1);
        assert!(huge.checked_add(huge).is_err());
        assert!(Money::total([huge, huge]).is_err());
        assert!(Money(i64::MIN).checked_sub(Money(1)).is_err());
        assert!(Money(i64::MAX).percent_bp(20_000).is_err());
        assert!(Money(i64::MIN).percent_bp(10_000).is_err());
        assert_eq!(Money::total([Money(1), Money(2)]).unwrap(), Money(3));
    }

    proptest::proptest! {
        #[test]
        fn display_then_parse_round_trips(c in -Money::LIMIT.0..=Money::LIMIT.0) {
            let m = Money(c);
            proptest::prop_assert_eq!(Money::parse(&m.to_string()).unwrap(), m);
        }
    }
}
