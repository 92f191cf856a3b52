//! The plan catalog, routing points, and the client's subscriptions (planos).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::{ClientId, PlanId, RoutingPointId, StaffId, SubscriptionId};
use crate::money::Money;
use crate::text::search_key;

/// A service offer of the catalog, e.g. "Fibra 300 Mega", R$ 99,90/mês.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Its id.
    pub id: PlanId,
    /// Its name.
    pub name: String,
    /// Monthly price.
    pub price: Money,
    /// Whether it can still be sold.
    pub active: bool,
}

/// The catalog every installation starts with, so a fresh install can sell.
pub const DEFAULT_PLANS: [(&str, i64); 4] =
    [("Fibra 100 Mega", 7_990), ("Fibra 300 Mega", 9_990), ("Fibra 600 Mega", 12_990), ("Fibra 1 Giga", 19_990)];

/// A network point (POP, concentrator, OLT, tower) a connection goes through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingPoint {
    /// Its id.
    pub id: RoutingPointId,
    /// Its name.
    pub name: String,
}

/// Forma de cobrança.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingMethod {
    /// Boleto bancário.
    Boleto,
    /// PIX.
    Pix,
    /// Cartão de crédito.
    CreditCard,
    /// Débito automático.
    DirectDebit,
    /// Carnê.
    Carne,
    /// Dinheiro.
    Cash,
}

impl BillingMethod {
    /// Every method, in the order staff see them.
    pub const ALL: [BillingMethod; 6] = [
        BillingMethod::Boleto,
        BillingMethod::Pix,
        BillingMethod::CreditCard,
        BillingMethod::DirectDebit,
        BillingMethod::Carne,
        BillingMethod::Cash,
    ];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMethod::Boleto => "boleto",
            BillingMethod::Pix => "pix",
            BillingMethod::CreditCard => "credit_card",
            BillingMethod::DirectDebit => "direct_debit",
            BillingMethod::Carne => "carne",
            BillingMethod::Cash => "cash",
        }
    }

    /// The name staff know.
    pub fn label(self) -> &'static str {
        match self {
            BillingMethod::Boleto => "Boleto",
            BillingMethod::Pix => "PIX",
            BillingMethod::CreditCard => "Cartão de crédito",
            BillingMethod::DirectDebit => "Débito automático",
            BillingMethod::Carne => "Carnê",
            BillingMethod::Cash => "Dinheiro",
        }
    }

    /// Reads the stored form or what an export or a person writes.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let k = search_key(s);
        let m = match k.as_str() {
            "boleto" | "boleto bancario" => BillingMethod::Boleto,
            "pix" => BillingMethod::Pix,
            "credit card" | "cartao" | "cartao de credito" | "cartao credito" | "credito" => BillingMethod::CreditCard,
            "direct debit" | "debito automatico" | "debito em conta" | "debito" => BillingMethod::DirectDebit,
            "carne" => BillingMethod::Carne,
            "cash" | "dinheiro" | "especie" => BillingMethod::Cash,
            _ => {
                return Err(DomainError::invalid(format!(
                    "forma de cobrança desconhecida \"{}\": use boleto, PIX, cartão de crédito, débito automático, carnê ou dinheiro",
                    s.trim()
                )));
            }
        };
        Ok(m)
    }
}

/// Dia de vencimento: the day of the month invoices fall due, 1 to 31 (a due
/// day past a month's end falls on its last day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DueDay(u8);

impl DueDay {
    /// Reads a day typed by a person or an export.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        match t.parse::<u8>() {
            Ok(d @ 1..=31) => Ok(DueDay(d)),
            _ => Err(DomainError::invalid(format!("dia de vencimento inválido \"{t}\": use um número de 1 a 31"))),
        }
    }

    /// The day number.
    pub fn get(self) -> u8 {
        self.0
    }

    /// From the stored number, trusting the store.
    pub fn from_stored(d: i64) -> Self {
        DueDay(d.clamp(1, 31) as u8)
    }
}

/// Whether a subscription is in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionStatus {
    /// In force.
    Active,
    /// Suspended.
    Suspended,
    /// Ended.
    Cancelled,
}

impl SubscriptionStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Suspended => "suspended",
            SubscriptionStatus::Cancelled => "cancelled",
        }
    }

    /// From the stored form.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "suspended" => SubscriptionStatus::Suspended,
            "cancelled" => SubscriptionStatus::Cancelled,
            _ => SubscriptionStatus::Active,
        }
    }

    /// "Ativo" / "Suspenso" / "Cancelado".
    pub fn label(self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "Ativo",
            SubscriptionStatus::Suspended => "Suspenso",
            SubscriptionStatus::Cancelled => "Cancelado",
        }
    }
}

/// A client's contract for a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Its id.
    pub id: SubscriptionId,
    /// The client.
    pub client_id: ClientId,
    /// The plan.
    pub plan_id: PlanId,
    /// The plan's name.
    pub plan_name: String,
    /// The monthly price agreed (may differ from the catalog's).
    pub price: Money,
    /// Forma de cobrança.
    pub billing_method: BillingMethod,
    /// Dia de vencimento.
    pub due_day: DueDay,
    /// Vendedor, when known.
    pub salesperson: Option<String>,
    /// Ponto de roteamento, when known.
    pub routing_point: Option<RoutingPoint>,
    /// Situação.
    pub status: SubscriptionStatus,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// A subscription to add (Adicionar Plano) or to upsert from an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    /// The client's código.
    pub client_code: String,
    /// The plan's name; a plan not in the catalog yet is added to it by imports.
    pub plan_name: String,
    /// Monthly price; `None` takes the catalog's.
    pub price: Option<Money>,
    /// Forma de cobrança.
    pub billing_method: BillingMethod,
    /// Dia de vencimento.
    pub due_day: DueDay,
    /// The salesperson: a staff member, or just a name from an export.
    pub salesperson: Option<Salesperson>,
    /// Ponto de roteamento by name, when known.
    pub routing_point: Option<String>,
}

/// What staff choose in Adicionar Plano.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanChoice {
    /// The plan of the catalog.
    pub plan: PlanId,
    /// Forma de cobrança.
    pub billing_method: BillingMethod,
    /// Dia de vencimento.
    pub due_day: DueDay,
    /// Vendedor: a staff member or a name (a person or a sales channel), if any.
    pub salesperson: Option<Salesperson>,
    /// Ponto de roteamento, if known.
    pub routing_point: Option<RoutingPointId>,
}

/// Who sold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Salesperson {
    /// A staff member of balcão.
    Staff(StaffId),
    /// A name as an export has it.
    Name(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn billing_methods_are_read_in_the_words_of_exports() {
        assert_eq!(BillingMethod::parse("Cartão de Crédito").unwrap(), BillingMethod::CreditCard);
        assert_eq!(BillingMethod::parse("DÉBITO AUTOMÁTICO").unwrap(), BillingMethod::DirectDebit);
        assert_eq!(BillingMethod::parse("carnê").unwrap(), BillingMethod::Carne);
        for m in BillingMethod::ALL {
            assert_eq!(BillingMethod::parse(m.as_str()).unwrap(), m);
            assert_eq!(BillingMethod::parse(m.label()).unwrap(), m);
        }
        assert!(BillingMethod::parse("cheque").is_err());
    }

    #[test]
    fn due_day_is_one_to_thirty_one() {
        assert_eq!(DueDay::parse(" 10 ").unwrap().get(), 10);
        assert!(DueDay::parse("0").is_err());
        assert!(DueDay::parse("32").is_err());
        assert!(DueDay::parse("dez").is_err());
    }
}
