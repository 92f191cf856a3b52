//! The lenient reading of an export's cells: what spreadsheets and old ERPs do
//! to values (a CPF whose leading zero was eaten, a year of two digits, a
//! state written by name, a label beside a phone) is undone here, and then the
//! domain's strict parsers decide. An `Err` is the reason a person reads, and
//! the caller keeps the raw text aside as "não verificado".
//!
//! Not for: typed input from people (the bot and the CLI use the strict
//! parsers as they are), nor for deciding what a refused value does to the
//! row (the caller does that).

use balcao_domain::client::{parse_email, parse_postal_code, parse_state, state_by_name};
use balcao_domain::document::Document;
use balcao_domain::finance::parse_date;
use balcao_domain::phone::Phone;
use balcao_domain::text::{digits, search_key};
use chrono::NaiveDate;

/// Whether a cell says there is no value: "-", "não tem", "sem email",
/// "nenhum", "N/A"... A cell without any letter or digit says so too.
pub fn is_placeholder(cell: &str) -> bool {
    const WORDS: [&str; 24] = [
        "nao tem",
        "nao possui",
        "nao informado",
        "nao consta",
        "nao",
        "sem",
        "sem email",
        "sem e mail",
        "sem telefone",
        "sem fone",
        "sem celular",
        "sem cpf",
        "sem cep",
        "nenhum",
        "nenhuma",
        "n a",
        "na",
        "nd",
        "null",
        "none",
        "x",
        "0",
        "00",
        "000",
    ];
    let key = search_key(cell);
    key.is_empty() || WORDS.contains(&key.as_str())
}

/// A CPF or CNPJ, with the leading zeros a spreadsheet dropped put back when
/// the length says so (9 or 10 digits for a CPF, 12 or 13 for a CNPJ) and the
/// check digits then agree.
pub fn document(raw: &str) -> Result<Document, String> {
    let strict = Document::parse(raw);
    let Err(reason) = strict else { return strict.map_err(|e| e.to_string()) };
    if raw.chars().any(|c| c.is_alphabetic()) {
        return Err(reason.to_string());
    }
    let d = digits(raw);
    let width = match d.len() {
        9 | 10 => 11,
        12 | 13 => 14,
        _ => return Err(reason.to_string()),
    };
    Document::parse(&format!("{d:0>width$}")).map_err(|_| reason.to_string())
}

/// A CEP; seven digits are a CEP whose leading zero a spreadsheet ate
/// (CEPs of São Paulo start with 0).
pub fn postal_code(raw: &str) -> Result<String, String> {
    parse_postal_code(raw).or_else(|e| {
        let d = digits(raw);
        if d.len() == 7 && !raw.chars().any(|c| c.is_alphabetic()) {
            parse_postal_code(&format!("0{d}")).map_err(|e| e.to_string())
        } else {
            Err(e.to_string())
        }
    })
}

/// A UF, or a state written by name ("São Paulo" → "SP").
pub fn state(raw: &str) -> Result<String, String> {
    parse_state(raw).or_else(|e| state_by_name(raw).map(str::to_owned).ok_or_else(|| e.to_string()))
}

/// A birth (or foundation) date, which cannot be after `today`. A two-digit
/// year is read in the hundred years that end today: 20yy when that date has
/// already come, 19yy otherwise ("01/01/80" → 1980, "05/03/15" → 2015).
pub fn birth_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let date = match parse_date(raw) {
        Ok(d) => d,
        Err(e) => {
            let parts: Vec<&str> = raw.trim().split(['/', '-', '.']).collect();
            match parts.as_slice() {
                [d, m, yy]
                    if yy.len() == 2
                        && (1..=2).contains(&d.len())
                        && (1..=2).contains(&m.len())
                        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit())) =>
                {
                    let yy: i32 = yy.parse().map_err(|_| e.to_string())?;
                    let recent = parse_date(&format!("{d}/{m}/{}", 2000 + yy)).map_err(|e| e.to_string())?;
                    if recent <= today {
                        recent
                    } else {
                        parse_date(&format!("{d}/{m}/{}", 1900 + yy)).map_err(|e| e.to_string())?
                    }
                }
                _ => return Err(e.to_string()),
            }
        }
    };
    if date > today {
        return Err(format!("data no futuro: \"{}\"", raw.trim()));
    }
    Ok(date)
}

/// One phone of a cell. Words beside the number ("WhatsApp", "cel.", a
/// name in parentheses) are dropped; an extension ("ramal 21") is dropped too
/// and reported in `Ok((phone, Some(extension)))` so the caller keeps it.
pub fn phone(raw: &str) -> Result<(Phone, Option<String>), String> {
    if let Ok(p) = Phone::parse(raw) {
        return Ok((p, None));
    }
    // ASCII-only lowering keeps every byte where it was, so `at` is an index into `raw` too.
    let lower = raw.to_ascii_lowercase();
    let (number, extension) = match ["ramal", "ram.", "ext.", "r."].iter().find_map(|w| lower.find(w)) {
        Some(at) => (&raw[..at], Some(raw[at..].trim().to_owned())),
        None => (raw, None),
    };
    let digits_only: String = number.chars().filter(|c| !c.is_alphabetic()).collect();
    let n = digits(&digits_only).len();
    if n == 0 {
        return Err(if extension.is_some() {
            "ramal sem o número do telefone".into()
        } else {
            "não é um número de telefone".into()
        });
    }
    Phone::parse(&digits_only).map(|p| (p, extension)).map_err(|e| e.to_string())
}

/// One e-mail address of a cell.
pub fn email(raw: &str) -> Result<String, String> {
    parse_email(raw).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn cells_that_say_there_is_nothing_are_placeholders() {
        for cell in ["", "-", " - ", "não tem", "NAO TEM", "sem email", "sem e-mail", "Nenhum", "N/A", "---", "."] {
            assert!(is_placeholder(cell), "{cell:?}");
        }
        for cell in ["maria@exemplo.com", "WhatsApp", "ramal 21", "98765-4321"] {
            assert!(!is_placeholder(cell), "{cell:?}");
        }
    }

    #[test]
    fn a_cpf_that_lost_its_leading_zero_is_restored() {
        let valid = "04700939192";
        assert!(Document::parse(valid).is_ok());
        assert_eq!(document(&valid[1..]).unwrap().digits(), valid);
        assert_eq!(document("4.700.939-192").unwrap().digits(), valid);
        assert!(document("4700939193").is_err(), "check digits still decide");
        assert_eq!(document("12345678").unwrap_err(), "CPF tem 11 dígitos e CNPJ tem 14; foram informados 8");
    }

    #[test]
    fn a_cnpj_that_lost_its_leading_zero_is_restored() {
        for valid in ["01222333000128", "00122333000193"] {
            assert!(Document::parse(valid).is_ok());
            assert_eq!(document(valid.trim_start_matches('0')).unwrap().digits(), valid);
        }
    }

    #[test]
    fn a_cep_of_seven_digits_gets_its_zero_back() {
        assert_eq!(postal_code("1310100").unwrap(), "01310-100");
        assert_eq!(postal_code("01310-100").unwrap(), "01310-100");
        assert!(postal_code("131010").is_err());
    }

    #[test]
    fn a_state_written_by_name_becomes_its_uf() {
        assert_eq!(state("São Paulo").unwrap(), "SP");
        assert_eq!(state("mg").unwrap(), "MG");
        assert!(state("Sao Paolo").unwrap_err().contains("UF inválida"));
    }

    #[test]
    fn two_digit_years_are_read_in_the_window_ending_today() {
        let today = day(2026, 12, 4);
        assert_eq!(birth_date("01/01/80", today).unwrap(), day(1980, 1, 1));
        assert_eq!(birth_date("5/3/15", today).unwrap(), day(2015, 3, 5));
        assert_eq!(birth_date("01/12/26", today).unwrap(), day(2026, 12, 1));
        assert_eq!(birth_date("31/12/26", today).unwrap(), day(1926, 12, 31), "2026-12-31 is still to come");
        assert_eq!(birth_date("01/01/27", today).unwrap(), day(1927, 1, 1));
        assert!(birth_date("10/10/2030", today).unwrap_err().contains("no futuro"));
        assert!(birth_date("31/02/80", today).is_err());
    }

    #[test]
    fn words_beside_a_phone_are_dropped_and_an_extension_is_kept() {
        assert_eq!(phone("WhatsApp (11) 98765-4321").unwrap().0.digits(), "11987654321");
        let (p, ext) = phone("(11) 3456-7890 ramal 21").unwrap();
        assert_eq!((p.digits(), ext.as_deref()), ("1134567890", Some("ramal 21")));
        assert_eq!(phone("ramal 21").unwrap_err(), "ramal sem o número do telefone");
        assert_eq!(phone("WhatsApp").unwrap_err(), "não é um número de telefone");
        assert!(phone("98765-4321").unwrap_err().contains("DDD"));
        assert_eq!(phone("(20) 98765-4321").unwrap_err(), "DDD 20 não existe");
    }
}
