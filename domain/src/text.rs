//! The one normalization of search keys, applied on write and on query alike,
//! so that "joao" finds "João" and "98765-4321" finds "(11) 98765-4321".

/// Lowercase ASCII words separated by single spaces: accents folded, every
/// other character (punctuation, symbols) turned into a separator.
///
/// "São José dos Campos" → "sao jose dos campos"; "Pão-Quente!" → "pao quente".
pub fn search_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_ascii() {
            push_folded(c, &mut out, &mut pending_space);
        } else if let Some(folded) = deunicode::deunicode_char(c) {
            for f in folded.chars() {
                push_folded(f, &mut out, &mut pending_space);
            }
        } else {
            pending_space = true;
        }
    }
    out
}

fn push_folded(c: char, out: &mut String, pending_space: &mut bool) {
    if c.is_ascii_alphanumeric() {
        if *pending_space && !out.is_empty() {
            out.push(' ');
        }
        *pending_space = false;
        out.push(c.to_ascii_lowercase());
    } else {
        *pending_space = true;
    }
}

/// Only the ASCII digits of `s`.
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_case_and_punctuation_fold_away() {
        assert_eq!(search_key("São José dos Campos"), "sao jose dos campos");
        assert_eq!(search_key("  CONCEIÇÃO "), "conceicao");
        assert_eq!(search_key("Pão-Quente!!  Ltda."), "pao quente ltda");
        assert_eq!(search_key("D'Ávila & Filhos"), "d avila filhos");
        assert_eq!(search_key("Müller"), "muller");
        assert_eq!(search_key(""), "");
    }

    #[test]
    fn digits_keeps_only_digits() {
        assert_eq!(digits("+55 (11) 98765-4321"), "5511987654321");
    }

    proptest::proptest! {
        #[test]
        fn search_key_is_idempotent_and_plain(s in "\\PC{0,40}") {
            let k = search_key(&s);
            proptest::prop_assert_eq!(search_key(&k), k.clone());
            proptest::prop_assert!(k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' '));
            proptest::prop_assert!(!k.starts_with(' ') && !k.ends_with(' ') && !k.contains("  "));
        }
    }
}
