//! `balcao import clients|subscriptions|receivables FILE`: reads a provider's
//! CSV export (see [`table`]), turns each row into a domain value or a
//! refusal with its line number, and hands the good rows to the store, which
//! upserts them. A bad row never stops the rest.

pub mod table;

use std::collections::HashMap;

use balcao_domain::client::{
    Address, ClientKind, ClientStatus, NewClient, parse_email, parse_postal_code, parse_state,
};
use balcao_domain::document::Document;
use balcao_domain::finance::{NewReceivable, parse_date};
use balcao_domain::phone::Phone;
use balcao_domain::ports::{Directory, ImportOutcome, Imports};
use balcao_domain::subscription::{BillingMethod, DueDay, NewSubscription, Salesperson};
use balcao_domain::{DomainError, Money, ResellerId};
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
    /// The headers a file of this kind must have.
    pub fn required(self) -> &'static [&'static str] {
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

/// What an import did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Detected encoding.
    pub encoding: &'static str,
    /// Detected delimiter.
    pub delimiter: char,
    /// Data rows read.
    pub rows: usize,
    /// Created, updated, unchanged and refused rows.
    pub outcome: ImportOutcome,
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

/// Several values in one cell: "a / b; c | d".
fn split_many(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(['/', ';', '|']).map(str::trim).filter(|s| !s.is_empty())
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
        if !kind.required().contains(&canonical) || table.column(canonical).is_some() {
            continue;
        }
        if let Some(h) = table.headers.iter_mut().find(|h| aliases.contains(&h.as_str())) {
            *h = canonical.to_owned();
        }
    }
}

/// Imports `bytes` as a file of `kind` into `store`.
pub async fn import<S: Directory + Imports + ?Sized>(
    store: &S,
    kind: Kind,
    bytes: &[u8],
) -> Result<Report, ImportError> {
    let mut table = read_table(bytes)?;
    canonicalize(&mut table, kind);
    let missing = table.missing(kind.required());
    if !missing.is_empty() {
        return Err(ImportError::MissingHeaders(missing.join(", ")));
    }
    let mut refused = Vec::new();
    let mut outcome = match kind {
        Kind::Clients => {
            let rows = client_rows(store, &table, &mut refused).await?;
            store.import_clients(&rows).await?
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
    Ok(Report { encoding: table.encoding, delimiter: char::from(table.delimiter), rows: table.rows.len(), outcome })
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

async fn client_rows<S: Directory + ?Sized>(
    store: &S,
    table: &Table,
    refused: &mut Vec<(usize, String)>,
) -> Result<Vec<(usize, NewClient)>, DomainError> {
    let mut resellers: HashMap<String, ResellerId> = HashMap::new();
    let mut rows = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let reseller_name = field(table, row, "revenda");
        let key = balcao_domain::text::search_key(reseller_name);
        let reseller_id = if key.is_empty() {
            refused.push((row.line, "informe a revenda".into()));
            continue;
        } else if let Some(id) = resellers.get(&key) {
            *id
        } else {
            let r = store.ensure_reseller(reseller_name).await?;
            resellers.insert(key, r.id);
            r.id
        };
        match client_row(table, row, reseller_id) {
            Ok(c) => rows.push((row.line, c)),
            Err(reason) => refused.push((row.line, reason)),
        }
    }
    Ok(rows)
}

fn client_row(table: &Table, row: &Row, reseller_id: ResellerId) -> Result<NewClient, String> {
    let code = field(table, row, "codigo");
    if code.is_empty() {
        return Err("informe o código do cliente".into());
    }
    let document = match field(table, row, "cpf_cnpj") {
        "" => None,
        d => Some(with_label("CPF/CNPJ", Document::parse(d))?),
    };
    let trade_name = field(table, row, "nome_fantasia");
    let kind = match (
        &document,
        balcao_domain::text::search_key(first_field(table, row, &["tipo", "tipo_pessoa"])).as_str(),
    ) {
        (Some(d), _) if d.is_company() => ClientKind::Company,
        (Some(_), _) => ClientKind::Person,
        (None, "j" | "pj" | "juridica" | "pessoa juridica") => ClientKind::Company,
        (None, "f" | "pf" | "fisica" | "pessoa fisica") => ClientKind::Person,
        (None, _) if !trade_name.is_empty() => ClientKind::Company,
        (None, _) => ClientKind::Person,
    };
    let phones = split_many(field(table, row, "telefones"))
        .map(|p| Phone::parse(p).map_err(|e| format!("telefone \"{p}\": {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let emails = split_many(field(table, row, "emails"))
        .map(|e| parse_email(e).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let state = match field(table, row, "uf") {
        "" => String::new(),
        s => parse_state(s).map_err(|e| e.to_string())?,
    };
    let postal_code = match field(table, row, "cep") {
        "" => String::new(),
        s => parse_postal_code(s).map_err(|e| e.to_string())?,
    };
    let birth_date = match first_field(table, row, &["data_nascimento", "nascimento", "data_fundacao"]) {
        "" => None,
        s => Some(with_label("data de nascimento", parse_date(s))?),
    };
    let status = with_label("situação", ClientStatus::parse(first_field(table, row, &["situacao", "status"])))?;
    let client = NewClient {
        code: code.to_owned(),
        reseller_id,
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
    };
    client.validate().map_err(|e| e.to_string())?;
    Ok(client)
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
