//! The one normalization of search keys, applied on write and on query alike,
//! so that "joao" finds "João" and "98765-4321" finds "(11) 98765-4321"; and
//! the measure of text the way Telegram counts it.

use std::borrow::Cow;

/// Telegram's limit on a message's text, in UTF-16 code units: an emoji
/// counts two, an accented letter one.
pub const TELEGRAM_MAX_UTF16: usize = 4096;

/// `text` as it fits in `max` UTF-16 code units: whole when it fits,
/// otherwise cut at a character boundary (at a line break when one is near)
/// and ended with `marker`, the whole within `max`.
pub fn fit_utf16<'a>(text: &'a str, max: usize, marker: &str) -> Cow<'a, str> {
    if text.encode_utf16().count() <= max {
        return Cow::Borrowed(text);
    }
    let room = max.saturating_sub(marker.encode_utf16().count());
    let mut used = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if used + c.len_utf16() > room {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    let kept = &text[..end];
    // A cut in the middle of the last line drops that line, unless that loses too much.
    let kept = match kept.rfind('\n') {
        Some(at) if at >= kept.len() * 3 / 4 => &kept[..at],
        _ => kept,
    };
    Cow::Owned(format!("{kept}{marker}"))
}

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
    fn text_is_cut_where_telegram_counts_emoji_as_two() {
        let short = "Observações: 😀 cliente pede visita";
        assert_eq!(fit_utf16(short, TELEGRAM_MAX_UTF16, "…"), short);
        // 3,000 emoji are 3,000 characters but 6,000 units for Telegram.
        let notes = format!("Cliente 1001\nObservações: {}", "😀".repeat(3000));
        assert!(notes.chars().count() < TELEGRAM_MAX_UTF16);
        let cut = fit_utf16(&notes, TELEGRAM_MAX_UTF16, "\n✂ cortado");
        assert!(cut.encode_utf16().count() <= TELEGRAM_MAX_UTF16, "{}", cut.encode_utf16().count());
        assert!(cut.starts_with("Cliente 1001\nObservações: 😀") && cut.ends_with("\n✂ cortado"));
        assert!(cut.encode_utf16().count() > TELEGRAM_MAX_UTF16 - 20, "nothing more is dropped than needed");
        // A cut near the end of a line drops that line rather than half of it.
        let lines = format!("{}\n{}", "a".repeat(4000), "b".repeat(200));
        assert_eq!(fit_utf16(&lines, TELEGRAM_MAX_UTF16, "…"), format!("{}…", "a".repeat(4000)));
    }

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
