//! Client search: which field, what was typed, how results are ranked and
//! paged. Stores find candidates with their indexes; the ranking lives here
//! so both stores order alike.

use serde::{Deserialize, Serialize};

use crate::client::ClientSummary;
use crate::error::DomainError;
use crate::phone::national_digits;
use crate::text::search_key;

/// The field a search looks in, as the web module's filter offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SearchFilter {
    /// Nome.
    Name,
    /// Nome Fantasia.
    TradeName,
    /// Cidade.
    City,
    /// Telefone.
    Phone,
}

impl SearchFilter {
    /// All filters, in the order the web module shows them.
    pub const ALL: [SearchFilter; 4] =
        [SearchFilter::Name, SearchFilter::TradeName, SearchFilter::City, SearchFilter::Phone];

    /// "Nome", "Nome Fantasia", "Cidade", "Telefone".
    pub fn label(self) -> &'static str {
        match self {
            SearchFilter::Name => "Nome",
            SearchFilter::TradeName => "Nome Fantasia",
            SearchFilter::City => "Cidade",
            SearchFilter::Phone => "Telefone",
        }
    }

    /// The CLI's word: "name", "trade-name", "city", "phone".
    pub fn as_str(self) -> &'static str {
        match self {
            SearchFilter::Name => "name",
            SearchFilter::TradeName => "trade-name",
            SearchFilter::City => "city",
            SearchFilter::Phone => "phone",
        }
    }
}

/// Fewest letters a text search accepts: below this a trigram index cannot help.
pub const MIN_TEXT_CHARS: usize = 3;
/// Fewest digits a phone search accepts.
pub const MIN_PHONE_DIGITS: usize = 4;
/// Longest term a search accepts.
pub const MAX_TERM_CHARS: usize = 100;
/// Most matches a search ranks; past this the total reads "more than" and
/// the person is asked to type more. Keeps every search bounded at any scale.
pub const MAX_CANDIDATES: usize = 500;

/// A normalized search term for one filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm {
    filter: SearchFilter,
    key: String,
}

impl SearchTerm {
    /// Normalizes what was typed for `filter`, refusing terms too short to
    /// search without scanning everything.
    pub fn parse(filter: SearchFilter, typed: &str) -> Result<Self, DomainError> {
        if typed.chars().count() > MAX_TERM_CHARS {
            return Err(DomainError::invalid(format!("busca longa demais: use até {MAX_TERM_CHARS} caracteres")));
        }
        let key = match filter {
            SearchFilter::Phone => {
                if typed.chars().any(|c| c.is_alphabetic()) {
                    return Err(DomainError::invalid("para buscar por telefone, digite só números"));
                }
                let d = national_digits(typed);
                if d.len() < MIN_PHONE_DIGITS {
                    return Err(DomainError::invalid(format!(
                        "digite pelo menos {MIN_PHONE_DIGITS} números do telefone"
                    )));
                }
                d
            }
            _ => {
                let k = search_key(typed);
                if k.chars().filter(|c| *c != ' ').count() < MIN_TEXT_CHARS {
                    return Err(DomainError::invalid(format!(
                        "digite pelo menos {MIN_TEXT_CHARS} letras para buscar por {}",
                        filter.label().to_lowercase()
                    )));
                }
                k
            }
        };
        Ok(SearchTerm { filter, key })
    }

    /// The field searched.
    pub fn filter(&self) -> SearchFilter {
        self.filter
    }

    /// The normalized key: folded words, or national digits for phones.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// How well a stored key matches: 0 exact, 1 starts with the term,
    /// 2 a word (or, for phones, the number's end) starts or ends with it,
    /// 3 contains it; `None` when it does not match at all.
    pub fn rank(&self, stored_key: &str) -> Option<u8> {
        let t = self.key.as_str();
        match self.filter {
            SearchFilter::Phone => stored_key
                .split(' ')
                .filter_map(|phone| {
                    if phone == t {
                        Some(0)
                    } else if phone.ends_with(t) {
                        Some(1)
                    } else if phone.starts_with(t) {
                        Some(2)
                    } else if phone.contains(t) {
                        Some(3)
                    } else {
                        None
                    }
                })
                .min(),
            _ => {
                if stored_key == t {
                    Some(0)
                } else if stored_key.starts_with(t) {
                    Some(1)
                } else if let Some(pos) = stored_key.find(t) {
                    let word_start = stored_key[..pos].ends_with(' ')
                        || stored_key.match_indices(t).any(|(i, _)| stored_key[..i].ends_with(' '));
                    Some(if word_start { 2 } else { 3 })
                } else {
                    None
                }
            }
        }
    }
}

/// One page of a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchPage {
    /// The clients on this page, best first.
    pub items: Vec<ClientSummary>,
    /// How many matched, up to [`MAX_CANDIDATES`].
    pub total: usize,
    /// True when more than `total` matched and the person should type more.
    pub more_than_total: bool,
    /// This page, from 0.
    pub page: usize,
    /// Page size.
    pub per_page: usize,
}

impl SearchPage {
    /// How many pages the ranked matches fill.
    pub fn pages(&self) -> usize {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

/// A candidate a store found: the summary and the key it matched on.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The client.
    pub summary: ClientSummary,
    /// The stored key of the searched field.
    pub key: String,
}

/// Ranks candidates (duplicates by id are dropped), orders them by rank then
/// name, and cuts the requested page.
pub fn rank_page(
    term: &SearchTerm,
    candidates: Vec<Candidate>,
    hit_limit: bool,
    page: usize,
    per_page: usize,
) -> SearchPage {
    let mut seen = std::collections::HashSet::with_capacity(candidates.len());
    let mut ranked: Vec<(u8, String, Candidate)> = candidates
        .into_iter()
        .filter(|c| seen.insert(c.summary.id))
        .filter_map(|c| term.rank(&c.key).map(|r| (r, search_key(&c.summary.name), c)))
        .collect();
    ranked.sort_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)).then_with(|| a.2.summary.code.cmp(&b.2.summary.code))
    });
    let total = ranked.len().min(MAX_CANDIDATES);
    let per_page = per_page.clamp(1, 100);
    let items = ranked
        .into_iter()
        .take(MAX_CANDIDATES)
        .skip(page.saturating_mul(per_page))
        .take(per_page)
        .map(|(_, _, c)| c.summary)
        .collect();
    SearchPage { items, total, more_than_total: hit_limit, page, per_page }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_terms_are_refused_with_a_clear_message() {
        let e = SearchTerm::parse(SearchFilter::Name, "jo").unwrap_err().to_string();
        assert_eq!(e, "digite pelo menos 3 letras para buscar por nome");
        let e = SearchTerm::parse(SearchFilter::Phone, "12-3").unwrap_err().to_string();
        assert!(e.contains("4 números"), "{e}");
        assert!(SearchTerm::parse(SearchFilter::Phone, "joao").is_err());
    }

    #[test]
    fn a_pasted_wall_of_text_is_refused() {
        let long = "a".repeat(MAX_TERM_CHARS + 1);
        assert!(SearchTerm::parse(SearchFilter::Name, &long).unwrap_err().to_string().contains("longa demais"));
    }

    #[test]
    fn phone_terms_become_national_digits() {
        for s in ["(11) 98765-4321", "11987654321", "+55 11 98765 4321"] {
            assert_eq!(SearchTerm::parse(SearchFilter::Phone, s).unwrap().key(), "11987654321");
        }
        assert_eq!(SearchTerm::parse(SearchFilter::Phone, "98765-4321").unwrap().key(), "987654321");
    }

    #[test]
    fn exact_then_prefix_then_word_then_inside() {
        let t = SearchTerm::parse(SearchFilter::Name, "Silva").unwrap();
        assert_eq!(t.rank("silva"), Some(0));
        assert_eq!(t.rank("silvana souza"), Some(1));
        assert_eq!(t.rank("joao da silva"), Some(2));
        assert_eq!(t.rank("ana dasilva"), Some(3));
        assert_eq!(t.rank("joao souza"), None);
    }

    #[test]
    fn phone_rank_prefers_whole_number_then_its_end() {
        let t = SearchTerm::parse(SearchFilter::Phone, "987654321").unwrap();
        assert_eq!(t.rank("11987654321"), Some(1));
        assert_eq!(t.rank("1133334444 987654321"), Some(0));
        assert_eq!(t.rank("1133334444"), None);
    }
}
