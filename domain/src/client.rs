//! The client (cliente) and the registration data (cadastro) of the glossary.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::document::Document;
use crate::error::DomainError;
use crate::ids::{ClientId, ResellerId};
use crate::phone::Phone;
use crate::text::search_key;

/// A person (CPF) or a company (CNPJ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    /// Pessoa física.
    Person,
    /// Pessoa jurídica.
    Company,
}

impl ClientKind {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Person => "person",
            ClientKind::Company => "company",
        }
    }

    /// From the stored form.
    pub fn from_stored(s: &str) -> Self {
        if s == "company" { ClientKind::Company } else { ClientKind::Person }
    }

    /// "Pessoa física" / "Pessoa jurídica".
    pub fn label(self) -> &'static str {
        match self {
            ClientKind::Person => "Pessoa física",
            ClientKind::Company => "Pessoa jurídica",
        }
    }
}

/// Ativo, suspenso or cancelado.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientStatus {
    /// Receiving service.
    Active,
    /// Service suspended (usually for debt).
    Suspended,
    /// Contract ended.
    Cancelled,
}

impl ClientStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientStatus::Active => "active",
            ClientStatus::Suspended => "suspended",
            ClientStatus::Cancelled => "cancelled",
        }
    }

    /// From the stored form.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "suspended" => ClientStatus::Suspended,
            "cancelled" => ClientStatus::Cancelled,
            _ => ClientStatus::Active,
        }
    }

    /// Reads what an export or a person says: "ativo", "Suspenso", "CANCELADO".
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match search_key(s).as_str() {
            "" | "ativo" | "ativa" | "active" | "habilitado" | "a" => Ok(ClientStatus::Active),
            "suspenso" | "suspensa" | "suspended" | "bloqueado" | "bloqueada" | "s" => Ok(ClientStatus::Suspended),
            "cancelado" | "cancelada" | "cancelled" | "inativo" | "inativa" | "desativado" | "desativada"
            | "encerrado" | "c" => Ok(ClientStatus::Cancelled),
            _ => Err(DomainError::invalid(format!("situação desconhecida \"{s}\": use ativo, suspenso ou cancelado"))),
        }
    }

    /// "Ativo" / "Suspenso" / "Cancelado".
    pub fn label(self) -> &'static str {
        match self {
            ClientStatus::Active => "Ativo",
            ClientStatus::Suspended => "Suspenso",
            ClientStatus::Cancelled => "Cancelado",
        }
    }
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Logradouro.
    pub street: String,
    /// Número.
    pub number: String,
    /// Complemento.
    pub complement: String,
    /// Bairro.
    pub district: String,
    /// Cidade (município).
    pub city: String,
    /// UF, two letters.
    pub state: String,
    /// CEP, "12345-678".
    pub postal_code: String,
}

impl Address {
    /// One line, the way a technician reads it.
    pub fn one_line(&self) -> String {
        let mut parts = Vec::new();
        let street = [self.street.as_str(), self.number.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if !street.is_empty() {
            parts.push(street);
        }
        for p in [&self.complement, &self.district] {
            if !p.is_empty() {
                parts.push(p.clone());
            }
        }
        let city = match (self.city.is_empty(), self.state.is_empty()) {
            (false, false) => format!("{}/{}", self.city, self.state),
            (false, true) => self.city.clone(),
            _ => String::new(),
        };
        if !city.is_empty() {
            parts.push(city);
        }
        if !self.postal_code.is_empty() {
            parts.push(format!("CEP {}", self.postal_code));
        }
        parts.join(" - ")
    }
}

/// A registration field whose value came in an import and could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnverifiedField {
    /// CPF/CNPJ.
    Document,
    /// A phone.
    Phone,
    /// An e-mail address.
    Email,
    /// UF.
    State,
    /// CEP.
    PostalCode,
    /// Birth or foundation date.
    BirthDate,
}

impl UnverifiedField {
    /// Every field, in the order the registration shows them.
    pub const ALL: [UnverifiedField; 6] = [
        UnverifiedField::Document,
        UnverifiedField::BirthDate,
        UnverifiedField::State,
        UnverifiedField::PostalCode,
        UnverifiedField::Phone,
        UnverifiedField::Email,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            UnverifiedField::Document => "document",
            UnverifiedField::Phone => "phone",
            UnverifiedField::Email => "email",
            UnverifiedField::State => "state",
            UnverifiedField::PostalCode => "postal_code",
            UnverifiedField::BirthDate => "birth_date",
        }
    }

    /// From the stored form; `None` for a name this version does not know.
    pub fn from_stored(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The field's name as the registration shows it: "Telefone", "CEP".
    pub fn label(self) -> &'static str {
        match self {
            UnverifiedField::Document => "CPF/CNPJ",
            UnverifiedField::Phone => "Telefone",
            UnverifiedField::Email => "E-mail",
            UnverifiedField::State => "UF",
            UnverifiedField::PostalCode => "CEP",
            UnverifiedField::BirthDate => "Data de nascimento",
        }
    }
}

/// A value kept as it came because it did not parse ("não verificado"): the
/// client is registered without it, and staff can still read what was there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Unverified {
    /// Which field it was meant for.
    pub field: UnverifiedField,
    /// The text as it was in the file, trimmed.
    pub raw: String,
}

impl Unverified {
    /// The raw text for those who may not see documents whole: a document's
    /// digits are hidden but the last two; other fields are shown as they are.
    pub fn shown(&self, show_documents: bool) -> String {
        if self.field != UnverifiedField::Document || show_documents {
            return self.raw.clone();
        }
        let total = self.raw.chars().filter(char::is_ascii_digit).count();
        let mut seen = 0;
        self.raw
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    seen += 1;
                    if seen + 2 <= total { '*' } else { c }
                } else {
                    c
                }
            })
            .collect()
    }
}

/// A client with the whole registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// Internal id.
    pub id: ClientId,
    /// The code people use (código), unique across the provider.
    pub code: String,
    /// The reseller the client belongs to.
    pub reseller_id: ResellerId,
    /// The reseller's name.
    pub reseller_name: String,
    /// Person or company.
    pub kind: ClientKind,
    /// Nome (legal or personal name).
    pub name: String,
    /// Nome fantasia; empty for most people.
    pub trade_name: String,
    /// CPF/CNPJ, when known.
    pub document: Option<Document>,
    /// RG or inscrição estadual.
    pub rg_ie: String,
    /// Birth or foundation date.
    pub birth_date: Option<NaiveDate>,
    /// Address.
    pub address: Address,
    /// Phones, national digits.
    pub phones: Vec<Phone>,
    /// E-mails.
    pub emails: Vec<String>,
    /// Free notes.
    pub notes: String,
    /// Ativo, suspenso, cancelado.
    pub status: ClientStatus,
    /// Values an import could not read, kept as they came.
    pub unverified: Vec<Unverified>,
    /// When the client was registered.
    pub created_at: DateTime<Utc>,
}

/// The line a search result shows: enough to pick the right client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSummary {
    /// Internal id.
    pub id: ClientId,
    /// Código.
    pub code: String,
    /// Nome.
    pub name: String,
    /// Nome fantasia.
    pub trade_name: String,
    /// Cidade.
    pub city: String,
    /// UF.
    pub state: String,
    /// Situação.
    pub status: ClientStatus,
    /// Phones, national digits.
    pub phones: Vec<Phone>,
    /// Reseller's name.
    pub reseller_name: String,
}

/// A client to register or to upsert from an import, already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClient {
    /// Código; when empty, the store assigns the next number.
    pub code: String,
    /// The reseller (its id, already resolved and inside the actor's scope).
    pub reseller_id: ResellerId,
    /// Person or company.
    pub kind: ClientKind,
    /// Nome.
    pub name: String,
    /// Nome fantasia.
    pub trade_name: String,
    /// CPF/CNPJ.
    pub document: Option<Document>,
    /// RG/IE.
    pub rg_ie: String,
    /// Birth or foundation date.
    pub birth_date: Option<NaiveDate>,
    /// Address.
    pub address: Address,
    /// Phones.
    pub phones: Vec<Phone>,
    /// E-mails.
    pub emails: Vec<String>,
    /// Notes.
    pub notes: String,
    /// Situação.
    pub status: ClientStatus,
    /// Values an import could not read, kept as they came (empty elsewhere).
    pub unverified: Vec<Unverified>,
}

/// The normalized keys search runs on, computed once on write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchKeys {
    /// Folded name.
    pub name: String,
    /// Folded trade name.
    pub trade_name: String,
    /// Folded city.
    pub city: String,
    /// All phones' national digits, space-separated.
    pub phones: String,
}

impl NewClient {
    /// The search keys of this client.
    pub fn search_keys(&self) -> SearchKeys {
        SearchKeys {
            name: search_key(&self.name),
            trade_name: search_key(&self.trade_name),
            city: search_key(&self.address.city),
            phones: self.phones.iter().map(Phone::digits).collect::<Vec<_>>().join(" "),
        }
    }

    /// Checks the rules that bind the fields together.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.name.trim().chars().count() < 2 {
            return Err(DomainError::invalid("informe o nome do cliente"));
        }
        if self.name.chars().count() > 200 {
            return Err(DomainError::invalid("nome longo demais (máximo 200 caracteres)"));
        }
        if let Some(doc) = &self.document {
            match (self.kind, doc.is_company()) {
                (ClientKind::Person, true) => {
                    return Err(DomainError::invalid("pessoa física usa CPF, não CNPJ"));
                }
                (ClientKind::Company, false) => {
                    return Err(DomainError::invalid("pessoa jurídica usa CNPJ, não CPF"));
                }
                _ => {}
            }
        }
        if !self.address.state.is_empty() {
            parse_state(&self.address.state)?;
        }
        if !self.address.postal_code.is_empty() {
            parse_postal_code(&self.address.postal_code)?;
        }
        Ok(())
    }
}

/// The 27 federative units.
pub const STATES: [&str; 27] = [
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB", "PR", "PE", "PI", "RJ",
    "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
];

/// "sp" → "SP"; refuses what is not a UF.
pub fn parse_state(s: &str) -> Result<String, DomainError> {
    let up = s.trim().to_ascii_uppercase();
    if STATES.contains(&up.as_str()) {
        Ok(up)
    } else {
        Err(DomainError::invalid(format!("UF inválida: \"{}\"", s.trim())))
    }
}

/// The UF of a state written by name, as spreadsheets often have it:
/// "São Paulo" → "SP", "rio grande do sul" → "RS". Accents and case are
/// ignored; an unknown name gives `None`.
pub fn state_by_name(name: &str) -> Option<&'static str> {
    const NAMES: [(&str, &str); 27] = [
        ("acre", "AC"),
        ("alagoas", "AL"),
        ("amapa", "AP"),
        ("amazonas", "AM"),
        ("bahia", "BA"),
        ("ceara", "CE"),
        ("distrito federal", "DF"),
        ("espirito santo", "ES"),
        ("goias", "GO"),
        ("maranhao", "MA"),
        ("mato grosso", "MT"),
        ("mato grosso do sul", "MS"),
        ("minas gerais", "MG"),
        ("para", "PA"),
        ("paraiba", "PB"),
        ("parana", "PR"),
        ("pernambuco", "PE"),
        ("piaui", "PI"),
        ("rio de janeiro", "RJ"),
        ("rio grande do norte", "RN"),
        ("rio grande do sul", "RS"),
        ("rondonia", "RO"),
        ("roraima", "RR"),
        ("santa catarina", "SC"),
        ("sao paulo", "SP"),
        ("sergipe", "SE"),
        ("tocantins", "TO"),
    ];
    let key = search_key(name);
    NAMES.iter().find(|(n, _)| *n == key).map(|(_, uf)| *uf)
}

/// "12345678" or "12.345-678" → "12345-678".
pub fn parse_postal_code(s: &str) -> Result<String, DomainError> {
    let d = crate::text::digits(s);
    if d.len() == 8 && !s.chars().any(|c| c.is_ascii_alphabetic()) {
        Ok(format!("{}-{}", &d[..5], &d[5..]))
    } else {
        Err(DomainError::invalid(format!("CEP inválido: \"{}\"; use 8 dígitos, por exemplo 12345-678", s.trim())))
    }
}

/// A plausible e-mail address, lowercased.
pub fn parse_email(s: &str) -> Result<String, DomainError> {
    let e = s.trim().to_lowercase();
    let bad = || DomainError::invalid(format!("e-mail inválido: \"{}\"", s.trim()));
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c == ',' || c == ';')
        && !domain.contains('@')
        && e.len() <= 254;
    if ok { Ok(e) } else { Err(bad()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(parse_email(" Maria@Exemplo.com.br ").unwrap(), "maria@exemplo.com.br");
        for bad in ["maria", "maria@", "@x.com", "a b@x.com", "a@x", "a@x.com;b@y.com"] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn postal_code_and_state_are_normalized() {
        assert_eq!(parse_postal_code("12.345678").unwrap(), "12345-678");
        assert!(parse_postal_code("1234").is_err());
        assert_eq!(parse_state("sp").unwrap(), "SP");
        assert!(parse_state("XX").is_err());
        assert!(parse_state("São Paulo").is_err(), "the parser stays strict");
    }

    #[test]
    fn a_state_written_by_name_gives_its_uf() {
        assert_eq!(state_by_name("São Paulo"), Some("SP"));
        assert_eq!(state_by_name(" MATO GROSSO DO SUL "), Some("MS"));
        assert_eq!(state_by_name("Pará"), Some("PA"));
        assert_eq!(state_by_name("Sao Paolo"), None);
    }

    #[test]
    fn an_unverified_document_is_hidden_from_who_may_not_see_documents() {
        let u = Unverified { field: UnverifiedField::Document, raw: "529.982.247-24".into() };
        assert_eq!(u.shown(false), "***.***.***-24");
        assert_eq!(u.shown(true), "529.982.247-24");
        let p = Unverified { field: UnverifiedField::Phone, raw: "98765-4321".into() };
        assert_eq!(p.shown(false), "98765-4321");
    }

    #[test]
    fn unverified_fields_round_trip_their_stored_form() {
        for f in UnverifiedField::ALL {
            assert_eq!(UnverifiedField::from_stored(f.as_str()), Some(f));
        }
        assert_eq!(UnverifiedField::from_stored("shoe_size"), None);
    }

    #[test]
    fn address_reads_as_one_line() {
        let a = Address {
            street: "Rua das Flores".into(),
            number: "12".into(),
            complement: "apto 3".into(),
            district: "Centro".into(),
            city: "São José dos Campos".into(),
            state: "SP".into(),
            postal_code: "12345-678".into(),
        };
        assert_eq!(a.one_line(), "Rua das Flores, 12 - apto 3 - Centro - São José dos Campos/SP - CEP 12345-678");
    }

    #[test]
    fn status_words_of_exports_are_understood() {
        assert_eq!(ClientStatus::parse("ATIVO").unwrap(), ClientStatus::Active);
        assert_eq!(ClientStatus::parse("Suspenso").unwrap(), ClientStatus::Suspended);
        assert!(ClientStatus::parse("talvez").is_err());
    }
}
