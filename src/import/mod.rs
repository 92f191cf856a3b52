//! `balcao import clients|subscriptions|receivables FILE`: reads a provider's
//! CSV export (see [`table`]), turns each row into a domain value or a
//! refusal with its line number, and hands the good rows to the store, which
//! upserts them. A bad row never stops the rest.
//!
//! A client is refused only for what identifies it (código, nome, revenda)
//! or decides its service (situação). A contact or registration value that
//! does not read, even after [`repair`], is kept on the client as "não
//! verificado" and reported as a warning with its line.

pub mod repair;
pub mod table;

use balcao_domain::client::{Address, ClientKind, ClientStatus, NewClient, Unverified, UnverifiedField};
use balcao_domain::finance::{NewReceivable, parse_date};
use balcao_domain::phone::Phone;
use balcao_domain::ports::{ClientImport, ImportOutcome, Imports};
use balcao_domain::subscription::{BillingMethod, DueDay, NewSubscription, Salesperson};
use balcao_domain::{DomainError, Money, ResellerId};
use chrono::NaiveDate;
use table::{Row, Table, read_table};

/// Which export a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Clients (cadastro).
    Clients,
    /// Subscriptions (planos dos clientes).
    Subscriptions,
    /// Receivables (contas a receber).
    Receivables,
}

impl Kind {
    /// The headers a file of this kind must have; for clients, `revenda`
    /// only when no default reseller is given.
    pub fn required(self, default_reseller: bool) -> &'static [&'static str] {
        match self {
            Kind::Clients if default_reseller => &["codigo", "nome"],
            Kind::Clients => &["codigo", "nome", "revenda"],
            Kind::Subscriptions => &["cliente_codigo", "plano", "forma_cobranca", "dia_vencimento"],
            Kind::Receivables => &["cliente_codigo", "vencimento", "valor"],
        }
    }

    /// Every column this kind reads by its canonical name (the ones aliases
    /// are renamed to).
    fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::Clients => {
                &["codigo", "revenda", "nome", "nome_fantasia", "cpf_cnpj", "cidade", "uf", "telefones", "emails"]
            }
            Kind::Subscriptions => &[
                "cliente_codigo",
                "plano",
                "valor",
                "forma_cobranca",
                "dia_vencimento",
                "vendedor",
                "ponto_roteamento",
            ],
            Kind::Receivables => &["cliente_codigo", "vencimento", "historico", "valor", "data_baixa", "valor_pago"],
        }
    }
}

/// How to read a file beyond its bytes.
#[derive(Debug, Clone)]
pub struct Options {
    /// The reseller of client rows that name none (and of every row when the
    /// file has no `revenda` column).
    pub default_reseller: Option<String>,
    /// The provider's today: a birth date cannot be after it, and two-digit
    /// years are read in the hundred years that end on it.
    pub today: NaiveDate,
}

impl Default for Options {
    fn default() -> Self {
        Options { default_reseller: None, today: chrono::Utc::now().date_naive() }
    }
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Detected encoding.
    pub encoding: &'static str,
    /// Detected delimiter.
    pub delimiter: char,
    /// Data rows read, including those the reading refused.
    pub rows: usize,
    /// Created, updated, unchanged and refused rows.
    pub outcome: ImportOutcome,
    /// What was imported with something left out or kept aside: line and
    /// what, in line order.
    pub warnings: Vec<(usize, String)>,
}

/// Why a whole file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read as CSV.
    #[error("{0}")]
    Table(#[from] table::TableError),
    /// Required headers are missing.
    #[error("faltam colunas no cabeçalho: {0}")]
    MissingHeaders(String),
    /// The store failed.
    #[error("{0}")]
    Store(#[from] DomainError),
}

/// Several values in one cell: "a / b; c | d, e".
fn split_many(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(['/', ';', '|', ',']).map(str::trim).filter(|s| !s.is_empty())
}

/// Other names exports give the same column, after header normalization.
const ALIASES: [(&str, &[&str]); 9] = [
    ("emails", &["e_mails", "email", "e_mail"]),
    ("telefones", &["telefone", "fones", "fone", "celular"]),
    ("cpf_cnpj", &["cpf", "cnpj", "documento", "cpf_ou_cnpj"]),
    ("codigo", &["cod", "codigo_cliente", "cliente"]),
    ("cliente_codigo", &["codigo_cliente", "codigo", "cliente"]),
    ("nome_fantasia", &["fantasia"]),
    ("vencimento", &["data_vencimento", "data_venc", "dt_vencimento"]),
    ("data_baixa", &["dt_baixa", "baixa"]),
    ("forma_cobranca", &["forma_de_cobranca"]),
];

/// Renames alias headers to the names this kind expects.
fn canonicalize(table: &mut Table, kind: Kind) {
    for (canonical, aliases) in ALIASES {
        if !kind.columns().contains(&canonical) || table.column(canonical).is_some() {
            continue;
        }
        if let Some(h) = table.headers.iter_mut().find(|h| aliases.contains(&h.as_str())) {
            *h = canonical.to_owned();
        }
    }
}

/// Imports `bytes` as a file of `kind` into `store`, with default options.
pub async fn import<S: Imports + ?Sized>(store: &S, kind: Kind, bytes: &[u8]) -> Result<Report, ImportError> {
    import_with(store, kind, bytes, &Options::default()).await
}

/// Imports `bytes` as a file of `kind` into `store`.
pub async fn import_with<S: Imports + ?Sized>(
    store: &S,
    kind: Kind,
    bytes: &[u8],
    options: &Options,
) -> Result<Report, ImportError> {
    let mut table = read_table(bytes)?;
    canonicalize(&mut table, kind);
    let default_reseller = options.default_reseller.as_deref().filter(|r| !r.trim().is_empty());
    let missing = table.missing(kind.required(default_reseller.is_some()));
    if !missing.is_empty() {
        return Err(ImportError::MissingHeaders(missing.join(", ")));
    }
    let mut refused = table.refused.clone();
    let mut warnings = std::mem::take(&mut table.warnings);
    let mut outcome = match kind {
        Kind::Clients => {
            let rows = client_rows(&table, default_reseller, options.today, &mut refused, &mut warnings);
            store.import_clients_by_reseller_name(&rows).await?
        }
        Kind::Subscriptions => {
            let rows = rows_of(&table, &mut refused, subscription_row);
            store.import_subscriptions(&rows).await?
        }
        Kind::Receivables => {
            let rows = rows_of(&table, &mut refused, receivable_row);
            store.import_receivables(&rows).await?
        }
    };
    outcome.refused.extend(refused);
    outcome.refused.sort();
    warnings.extend(
        outcome
            .repeated
            .iter()
            .map(|(line, applied)| (*line, format!("a linha {applied} repete esta chave e foi a importada"))),
    );
    warnings.sort();
    Ok(Report {
        encoding: table.encoding,
        delimiter: char::from(table.delimiter),
        rows: table.rows.len() + table.refused.len(),
        outcome,
        warnings,
    })
}

fn rows_of<T>(
    table: &Table,
    refused: &mut Vec<(usize, String)>,
    parse: fn(&Table, &Row) -> Result<T, String>,
) -> Vec<(usize, T)> {
    let mut rows = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        match parse(table, row) {
            Ok(v) => rows.push((row.line, v)),
            Err(reason) => refused.push((row.line, reason)),
        }
    }
    rows
}

fn field<'a>(table: &Table, row: &'a Row, name: &str) -> &'a str {
    row.get(table.column(name))
}

fn first_field<'a>(table: &Table, row: &'a Row, names: &[&str]) -> &'a str {
    names.iter().map(|n| field(table, row, n)).find(|v| !v.is_empty()).unwrap_or("")
}

fn with_label<T>(label: &str, r: Result<T, DomainError>) -> Result<T, String> {
    r.map_err(|e| format!("{label}: {e}"))
}

/// The client rows that read, each with its reseller by name; the others go
/// to `refused`, and what each kept aside goes to `warnings`.
fn client_rows(
    table: &Table,
    default_reseller: Option<&str>,
    today: NaiveDate,
    refused: &mut Vec<(usize, String)>,
    warnings: &mut Vec<(usize, String)>,
) -> Vec<ClientImport> {
    let mut rows = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let reseller = match (field(table, row, "revenda"), default_reseller) {
            (r, _) if !balcao_domain::text::search_key(r).is_empty() => r,
            (_, Some(default)) => default,
            _ => {
                refused.push((row.line, "informe a revenda".into()));
                continue;
            }
        };
        if reseller.chars().count() > 100 {
            refused.push((row.line, "nome da revenda longo demais (máximo 100 caracteres)".into()));
            continue;
        }
        match client_row(table, row, today) {
            Ok((client, set_aside)) => {
                warnings.extend(set_aside.into_iter().map(|w| (row.line, w)));
                rows.push(ClientImport { line: row.line, reseller: reseller.to_owned(), client });
            }
            Err(reason) => refused.push((row.line, reason)),
        }
    }
    rows
}

/// A client's row: the values that read, and those that did not kept aside.
struct Aside {
    unverified: Vec<Unverified>,
    warnings: Vec<String>,
}

impl Aside {
    /// Keeps `raw` aside for `field`; `shown` is how the warning names the
    /// value (never a whole CPF).
    fn keep(&mut self, field: UnverifiedField, raw: &str, shown: Option<&str>, reason: &str) {
        self.unverified.push(Unverified { field, raw: raw.trim().to_owned() });
        let what = match shown {
            Some(v) => format!("{} \"{v}\"", field.label()),
            None => field.label().to_owned(),
        };
        self.warnings.push(format!("{what}: {reason}; guardado como não verificado"));
    }

    /// Reads an optional cell with `parse`: empty and placeholder cells give
    /// `None`, cells that do not read are kept aside.
    fn read<T>(
        &mut self,
        field: UnverifiedField,
        cell: &str,
        show: bool,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        if repair::is_placeholder(cell) {
            return None;
        }
        match parse(cell) {
            Ok(v) => Some(v),
            Err(reason) => {
                self.keep(field, cell, show.then_some(cell), &reason);
                None
            }
        }
    }
}

fn client_row(table: &Table, row: &Row, today: NaiveDate) -> Result<(NewClient, Vec<String>), String> {
    let code = field(table, row, "codigo");
    if code.is_empty() {
        return Err("informe o código do cliente".into());
    }
    let mut aside = Aside { unverified: Vec::new(), warnings: Vec::new() };
    let raw_document = field(table, row, "cpf_cnpj");
    let document = aside.read(UnverifiedField::Document, raw_document, false, repair::document);
    let trade_name = field(table, row, "nome_fantasia");
    let kind = match (
        &document,
        balcao_domain::text::search_key(first_field(table, row, &["tipo", "tipo_pessoa"])).as_str(),
    ) {
        (Some(d), _) if d.is_company() => ClientKind::Company,
        (Some(_), _) => ClientKind::Person,
        (None, "j" | "pj" | "juridica" | "pessoa juridica") => ClientKind::Company,
        (None, "f" | "pf" | "fisica" | "pessoa fisica") => ClientKind::Person,
        (None, _) if balcao_domain::text::digits(raw_document).len() >= 12 => ClientKind::Company,
        (None, _) if !trade_name.is_empty() => ClientKind::Company,
        (None, _) => ClientKind::Person,
    };
    let mut phones: Vec<Phone> = Vec::new();
    let phone_cell = field(table, row, "telefones");
    if !repair::is_placeholder(phone_cell) {
        for piece in split_many(phone_cell) {
            if let Some((phone, extension)) = aside.read(UnverifiedField::Phone, piece, true, repair::phone) {
                if extension.is_some() {
                    aside.keep(UnverifiedField::Phone, piece, Some(piece), "telefone importado sem o ramal");
                }
                if !phones.contains(&phone) {
                    phones.push(phone);
                }
            }
        }
    }
    let mut emails: Vec<String> = Vec::new();
    let email_cell = field(table, row, "emails");
    if !repair::is_placeholder(email_cell) {
        for piece in split_many(email_cell) {
            if let Some(email) = aside.read(UnverifiedField::Email, piece, true, repair::email)
                && !emails.contains(&email)
            {
                emails.push(email);
            }
        }
    }
    let state = aside.read(UnverifiedField::State, field(table, row, "uf"), true, repair::state).unwrap_or_default();
    let postal_code = aside
        .read(UnverifiedField::PostalCode, field(table, row, "cep"), true, repair::postal_code)
        .unwrap_or_default();
    let birth_date = aside.read(
        UnverifiedField::BirthDate,
        first_field(table, row, &["data_nascimento", "nascimento", "data_fundacao"]),
        true,
        |s| repair::birth_date(s, today),
    );
    let status = with_label("situação", ClientStatus::parse(first_field(table, row, &["situacao", "status"])))?;
    let client = NewClient {
        code: code.to_owned(),
        reseller_id: ResellerId(0),
        kind,
        name: field(table, row, "nome").to_owned(),
        trade_name: trade_name.to_owned(),
        document,
        rg_ie: first_field(table, row, &["rg_ie", "rg", "ie", "inscricao_estadual"]).to_owned(),
        birth_date,
        address: Address {
            street: first_field(table, row, &["endereco", "logradouro"]).to_owned(),
            number: field(table, row, "numero").to_owned(),
            complement: field(table, row, "complemento").to_owned(),
            district: field(table, row, "bairro").to_owned(),
            city: field(table, row, "cidade").to_owned(),
            state,
            postal_code,
        },
        phones,
        emails,
        notes: first_field(table, row, &["observacoes", "obs"]).to_owned(),
        status,
        unverified: aside.unverified,
    };
    client.validate().map_err(|e| e.to_string())?;
    Ok((client, aside.warnings))
}

fn subscription_row(table: &Table, row: &Row) -> Result<NewSubscription, String> {
    let client_code = field(table, row, "cliente_codigo");
    if client_code.is_empty() {
        return Err("informe o código do cliente".into());
    }
    let plan_name = field(table, row, "plano");
    if plan_name.is_empty() {
        return Err("informe o plano".into());
    }
    let price = match field(table, row, "valor") {
        "" => None,
        v => Some(with_label("valor", Money::parse(v))?),
    };
    if price.is_some_and(|p| p.cents() < 0) {
        return Err("valor: não pode ser negativo".into());
    }
    let opt = |name: &str| Some(field(table, row, name)).filter(|s| !s.is_empty()).map(str::to_owned);
    Ok(NewSubscription {
        client_code: client_code.to_owned(),
        plan_name: plan_name.to_owned(),
        price,
        billing_method: BillingMethod::parse(field(table, row, "forma_cobranca")).map_err(|e| e.to_string())?,
        due_day: DueDay::parse(field(table, row, "dia_vencimento")).map_err(|e| e.to_string())?,
        salesperson: opt("vendedor").map(Salesperson::Name),
        routing_point: opt("ponto_roteamento"),
    })
}

fn receivable_row(table: &Table, row: &Row) -> Result<NewReceivable, String> {
    let client_code = field(table, row, "cliente_codigo");
    if client_code.is_empty() {
        return Err("informe o código do cliente".into());
    }
    let due_date = with_label("vencimento", parse_date(field(table, row, "vencimento")))?;
    let amount = with_label("valor", Money::parse(field(table, row, "valor")))?;
    let settled_on = match field(table, row, "data_baixa") {
        "" => None,
        d => Some(with_label("data da baixa", parse_date(d))?),
    };
    let paid = match field(table, row, "valor_pago") {
        "" => None,
        v => Some(with_label("valor pago", Money::parse(v))?),
    };
    let settlement = match (settled_on, paid) {
        (Some(d), Some(p)) => Some((d, p)),
        (Some(d), None) => Some((d, amount)),
        (None, Some(p)) if p.cents() == 0 => None,
        (None, Some(_)) => return Err("valor pago sem data da baixa: informe a data_baixa".into()),
        (None, None) => None,
    };
    let r = NewReceivable {
        client_code: client_code.to_owned(),
        due_date,
        description: field(table, row, "historico").to_owned(),
        amount,
        settlement,
    };
    r.validate().map_err(|e| e.to_string())?;
    Ok(r)
}
