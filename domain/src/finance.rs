//! Receivables (contas a receber), their settlements (baixas), and the late
//! fee and interest owed on what is overdue.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::{ClientId, ReceivableId};
use crate::money::{Money, round_div};

/// Reads a date as people type it: "dd/mm/aaaa" (also with "-" or "." and
/// one-digit day or month), or ISO "aaaa-mm-dd"; refuses impossible dates.
pub fn parse_date(input: &str) -> Result<NaiveDate, DomainError> {
    let s = input.trim();
    let bad = || DomainError::invalid(format!("data inválida \"{s}\": use dd/mm/aaaa"));
    let parts: Vec<&str> = s.split(['/', '-', '.']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit())) {
        return Err(bad());
    }
    let (y, m, d) = if parts[0].len() == 4 {
        (parts[0], parts[1], parts[2])
    } else if parts[2].len() == 4 && parts[0].len() <= 2 && parts[1].len() <= 2 {
        (parts[2], parts[1], parts[0])
    } else {
        return Err(bad());
    };
    let (y, m, d): (i32, u32, u32) =
        (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    if !(1900..=2200).contains(&y) {
        return Err(bad());
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| DomainError::invalid(format!("data inexistente \"{s}\"")))
}

/// "28/11/2026".
pub fn format_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// How late receivables grow: a one-time fine plus monthly interest pro rata
/// per day, both in basis points (200 = 2%).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeePolicy {
    /// Multa, once the due date has passed.
    pub fine_bp: i64,
    /// Juros per month of 30 days, charged per day late.
    pub monthly_interest_bp: i64,
}

impl Default for FeePolicy {
    /// 2% fine plus 1% a month: the usual Brazilian contract.
    fn default() -> Self {
        FeePolicy { fine_bp: 200, monthly_interest_bp: 100 }
    }
}

/// What is owed on a balance on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charges {
    /// Days past the due date (0 when not overdue).
    pub days_late: i64,
    /// Multa.
    pub fine: Money,
    /// Juros.
    pub interest: Money,
    /// Balance plus fine plus interest.
    pub updated: Money,
}

impl FeePolicy {
    /// Fine and interest on `balance` due on `due`, as of `on`; an error
    /// only when the amounts would not fit.
    pub fn charges(&self, balance: Money, due: NaiveDate, on: NaiveDate) -> Result<Charges, DomainError> {
        let days_late = (on - due).num_days();
        if balance.cents() <= 0 || days_late <= 0 {
            return Ok(Charges { days_late: 0, fine: Money::ZERO, interest: Money::ZERO, updated: balance });
        }
        let fine = balance.percent_bp(self.fine_bp)?;
        let interest = round_div(
            i128::from(balance.cents()) * i128::from(self.monthly_interest_bp) * i128::from(days_late),
            10_000 * 30,
        )?;
        Ok(Charges { days_late, fine, interest, updated: Money::total([balance, fine, interest])? })
    }
}

/// A payment recorded against a receivable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// Day paid.
    pub paid_on: NaiveDate,
    /// Amount paid.
    pub amount: Money,
    /// How, when known ("PIX", "Boleto", ...).
    pub method: String,
    /// Who recorded it, when known: a staff member, a payment gateway, or
    /// "Importação" for the ERP's export.
    pub recorded_by: String,
}

impl Settlement {
    /// How it was paid and who recorded it, as Financeiro reads it:
    /// "PIX, registrada por Asaas", "forma não informada, registrada por Importação".
    pub fn how_and_who(&self) -> String {
        let how = if self.method.is_empty() { "forma não informada" } else { self.method.as_str() };
        if self.recorded_by.is_empty() { how.to_owned() } else { format!("{how}, registrada por {}", self.recorded_by) }
    }
}

/// One amount a client owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receivable {
    /// Its id.
    pub id: ReceivableId,
    /// The client.
    pub client_id: ClientId,
    /// Data Venc.
    pub due_date: NaiveDate,
    /// Histórico.
    pub description: String,
    /// V. Lançado.
    pub amount: Money,
    /// Sum of the settlements.
    pub paid: Money,
    /// Dt. Baixa: the day it was fully paid.
    pub settled_on: Option<NaiveDate>,
    /// The latest settlement's day and amount, when any was recorded.
    pub last_paid: Option<(NaiveDate, Money)>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

impl Receivable {
    /// Saldo: what is still open, never negative (saturating: amounts are
    /// bounded, so only data stored before the bound can reach the edges).
    pub fn balance(&self) -> Money {
        Money(self.amount.cents().saturating_sub(self.paid.cents()).max(0))
    }

    /// Em atraso: a balance whose due date has passed.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.balance().cents() > 0 && self.due_date < today
    }
}

/// Which receivables to list: due dates from/to (inclusive), open ones only or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Period {
    /// Desde.
    pub from: Option<NaiveDate>,
    /// Até.
    pub to: Option<NaiveDate>,
    /// Only those with a balance.
    pub open_only: bool,
}

impl Period {
    /// Checks the period makes sense.
    pub fn validate(&self) -> Result<(), DomainError> {
        if let (Some(f), Some(t)) = (self.from, self.to)
            && f > t
        {
            return Err(DomainError::invalid("a data \"Desde\" é posterior à data \"Até\""));
        }
        Ok(())
    }

    /// The calendar month of `day`.
    pub fn month_of(day: NaiveDate) -> Self {
        let from = day.with_day(1).unwrap_or(day);
        let next = if from.month() == 12 {
            NaiveDate::from_ymd_opt(from.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(from.year(), from.month() + 1, 1)
        };
        let to = next.and_then(|n| n.pred_opt()).unwrap_or(day);
        Period { from: Some(from), to: Some(to), open_only: false }
    }
}

/// One line of the Financeiro screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// The receivable.
    pub receivable: Receivable,
    /// Saldo.
    pub balance: Money,
    /// Em atraso.
    pub overdue: bool,
}

/// The Financeiro screen: lines and their totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The period shown.
    pub period: Period,
    /// Lines by due date.
    pub lines: Vec<StatementLine>,
    /// Sum of V. Lançado.
    pub total_amount: Money,
    /// Sum of what was paid.
    pub total_paid: Money,
    /// Sum of Saldo.
    pub total_balance: Money,
    /// Sum of Saldo of the overdue lines.
    pub total_overdue: Money,
}

impl Statement {
    /// Builds the statement from receivables in the period, as of `today`;
    /// an error only when the totals would not fit.
    pub fn build(period: Period, mut receivables: Vec<Receivable>, today: NaiveDate) -> Result<Self, DomainError> {
        receivables.sort_by(|a, b| a.due_date.cmp(&b.due_date).then(a.id.cmp(&b.id)));
        let lines: Vec<StatementLine> = receivables
            .into_iter()
            .map(|r| StatementLine { balance: r.balance(), overdue: r.is_overdue(today), receivable: r })
            .collect();
        Ok(Statement {
            period,
            total_amount: Money::total(lines.iter().map(|l| l.receivable.amount))?,
            total_paid: Money::total(lines.iter().map(|l| l.receivable.paid))?,
            total_balance: Money::total(lines.iter().map(|l| l.balance))?,
            total_overdue: Money::total(lines.iter().filter(|l| l.overdue).map(|l| l.balance))?,
            lines,
        })
    }
}

/// One debit in full: its settlements and what it is worth today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivableDetail {
    /// The receivable.
    pub receivable: Receivable,
    /// Its payments.
    pub settlements: Vec<Settlement>,
    /// Saldo.
    pub balance: Money,
    /// Fine and interest to `as_of`.
    pub charges: Charges,
    /// The day the charges are computed to.
    pub as_of: NaiveDate,
}

impl ReceivableDetail {
    /// Computes the detail of `receivable` as of `today`; an error only when
    /// the amounts would not fit.
    pub fn build(
        receivable: Receivable,
        settlements: Vec<Settlement>,
        policy: &FeePolicy,
        today: NaiveDate,
    ) -> Result<Self, DomainError> {
        let balance = receivable.balance();
        let charges = policy.charges(balance, receivable.due_date, today)?;
        Ok(ReceivableDetail { receivable, settlements, balance, charges, as_of: today })
    }
}

/// A receivable to upsert from an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReceivable {
    /// The client's código.
    pub client_code: String,
    /// Data Venc.
    pub due_date: NaiveDate,
    /// Histórico.
    pub description: String,
    /// V. Lançado.
    pub amount: Money,
    /// Dt. Baixa and the amount paid, when paid.
    pub settlement: Option<(NaiveDate, Money)>,
}

impl NewReceivable {
    /// Checks the amounts make sense.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.amount.cents() <= 0 {
            return Err(DomainError::invalid("valor deve ser maior que zero"));
        }
        if self.amount > Money::LIMIT || self.settlement.is_some_and(|(_, paid)| paid > Money::LIMIT) {
            return Err(DomainError::invalid(format!("valor acima do limite de {}", Money::LIMIT)));
        }
        if self.description.trim().is_empty() {
            return Err(DomainError::invalid("informe o histórico"));
        }
        if let Some((_, paid)) = self.settlement
            && paid.cents() <= 0
        {
            return Err(DomainError::invalid("valor pago deve ser maior que zero"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn dates_are_read_the_brazilian_way() {
        assert_eq!(d("05/03/2026"), NaiveDate::from_ymd_opt(2026, 3, 5).unwrap());
        assert_eq!(d("5/3/2026"), d("05-03-2026"));
        assert_eq!(d("2026-03-05"), d("05.03.2026"));
        assert!(parse_date("31/02/2026").unwrap_err().to_string().contains("inexistente"));
        for bad in ["", "2026", "03/2026", "aa/bb/cccc", "05/03/26"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert_eq!(format_date(d("05/03/2026")), "05/03/2026");
    }

    #[test]
    fn thirty_days_late_owes_two_percent_and_one_percent() {
        let c = FeePolicy::default().charges(Money(10_000), d("01/10/2026"), d("31/10/2026")).unwrap();
        assert_eq!(c.days_late, 30);
        assert_eq!(c.fine, Money(200));
        assert_eq!(c.interest, Money(100));
        assert_eq!(c.updated, Money(10_300));
    }

    #[test]
    fn interest_is_pro_rata_per_day() {
        let c = FeePolicy::default().charges(Money(9_990), d("10/11/2026"), d("25/11/2026")).unwrap();
        assert_eq!(c.days_late, 15);
        assert_eq!(c.fine, Money(200));
        assert_eq!(c.interest, Money(50)); // 99,90 * 1% * 15/30 = 0,4995
    }

    #[test]
    fn nothing_is_charged_on_time_or_when_paid() {
        let p = FeePolicy::default();
        assert_eq!(p.charges(Money(10_000), d("10/11/2026"), d("10/11/2026")).unwrap().updated, Money(10_000));
        assert_eq!(p.charges(Money::ZERO, d("10/10/2026"), d("10/11/2026")).unwrap().fine, Money::ZERO);
    }

    fn receivable(id: i64, due: &str, amount: i64, paid: i64) -> Receivable {
        Receivable {
            id: ReceivableId(id),
            client_id: ClientId(1),
            due_date: d(due),
            description: "Mensalidade".into(),
            amount: Money(amount),
            paid: Money(paid),
            settled_on: None,
            last_paid: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn statement_totals_and_marks_overdue() {
        let r = receivable;
        let s = Statement::build(
            Period::default(),
            vec![r(2, "10/12/2026", 9_990, 0), r(1, "10/11/2026", 9_990, 4_000), r(3, "10/10/2026", 9_990, 9_990)],
            d("28/11/2026"),
        )
        .unwrap();
        assert_eq!(s.lines[0].receivable.id, ReceivableId(3));
        assert!(s.lines[1].overdue && !s.lines[0].overdue && !s.lines[2].overdue);
        assert_eq!(s.total_amount, Money(29_970));
        assert_eq!(s.total_balance, Money(5_990 + 9_990));
        assert_eq!(s.total_overdue, Money(5_990));
    }

    #[test]
    fn amounts_stored_beyond_the_limit_make_an_error_not_a_panic() {
        // What an import accepted before amounts were bounded.
        let huge = 9_223_372_036_854_775_807 / 2 + 7;
        let lines = vec![receivable(1, "10/10/2026", huge, 0), receivable(2, "10/11/2026", huge, 0)];
        let err = Statement::build(Period::default(), lines, d("28/11/2026")).unwrap_err();
        assert!(err.to_string().contains("passam do limite"), "{err}");
        let detail = ReceivableDetail::build(
            receivable(1, "10/10/2020", i64::MAX, 0),
            vec![],
            &FeePolicy::default(),
            d("28/11/2026"),
        );
        assert!(detail.is_err());
        assert_eq!(receivable(3, "10/10/2026", i64::MIN, i64::MAX).balance(), Money::ZERO);
    }

    #[test]
    fn receivables_above_the_limit_are_refused() {
        let new = NewReceivable {
            client_code: "1".into(),
            due_date: d("10/10/2026"),
            description: "Mensalidade".into(),
            amount: Money(Money::LIMIT.cents() + 1),
            settlement: None,
        };
        assert!(new.validate().unwrap_err().to_string().contains("limite"));
    }

    #[test]
    fn month_period_spans_the_calendar_month() {
        let p = Period::month_of(d("15/02/2028"));
        assert_eq!((p.from, p.to), (Some(d("01/02/2028")), Some(d("29/02/2028"))));
        assert!(
            Period { from: Some(d("02/01/2026")), to: Some(d("01/01/2026")), open_only: false }.validate().is_err()
        );
    }
}
