//! Rows as the database returns them, and their mapping to domain types.

use balcao_domain::client::{Address, Client, ClientKind, ClientStatus, ClientSummary, Unverified, UnverifiedField};
use balcao_domain::document::Document;
use balcao_domain::finance::{Receivable, Settlement};
use balcao_domain::phone::Phone;
use balcao_domain::staff::{Reseller, Role};
use balcao_domain::subscription::{BillingMethod, DueDay, RoutingPoint, Subscription, SubscriptionStatus};
use balcao_domain::ticket::{Assignee, Named, Ticket, TicketStatus, WorkOrder, WorkOrderStatus};
use balcao_domain::{
    ChannelId, ClientId, Money, PlanId, ReceivableId, ResellerId, RoleId, RoutingPointId, StaffId, SubscriptionId,
    TicketId, TicketTypeId, WorkOrderId,
};

use chrono::NaiveTime;

use crate::{parse_instant, parse_stored_date};

/// The columns of [`ClientRow`], from `clients c JOIN resellers r`.
pub(crate) const CLIENT_COLUMNS: &str = "c.id, c.code, c.reseller_id, r.name AS reseller_name, c.kind, c.name, \
     c.trade_name, c.document, c.rg_ie, c.birth_date, c.street, c.number, c.complement, c.district, c.city, \
     c.state, c.postal_code, c.phones, c.emails, c.notes, c.status, c.unverified, c.created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ClientRow {
    id: i64,
    code: String,
    reseller_id: i64,
    reseller_name: String,
    kind: String,
    name: String,
    trade_name: String,
    document: Option<String>,
    rg_ie: String,
    birth_date: Option<String>,
    street: String,
    number: String,
    complement: String,
    district: String,
    city: String,
    state: String,
    postal_code: String,
    phones: String,
    emails: String,
    notes: String,
    status: String,
    unverified: String,
    created_at: String,
}

/// The stored form of values kept aside: one "field\traw" line each.
pub(crate) fn unverified_text(values: &[Unverified]) -> String {
    values
        .iter()
        .map(|u| {
            let raw: String = u.raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
            format!("{}\t{}", u.field.as_str(), raw.trim())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads [`unverified_text`] back; lines of fields this version does not know are skipped.
pub(crate) fn split_unverified(s: &str) -> Vec<Unverified> {
    s.lines()
        .filter_map(|line| {
            let (field, raw) = line.split_once('\t')?;
            Some(Unverified { field: UnverifiedField::from_stored(field)?, raw: raw.to_owned() })
        })
        .collect()
}

pub(crate) fn split_phones(s: &str) -> Vec<Phone> {
    s.split(' ').filter(|p| !p.is_empty()).map(Phone::from_stored).collect()
}

pub(crate) fn split_emails(s: &str) -> Vec<String> {
    s.split(' ').filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

impl From<ClientRow> for Client {
    fn from(r: ClientRow) -> Client {
        Client {
            id: ClientId(r.id),
            code: r.code,
            reseller_id: ResellerId(r.reseller_id),
            reseller_name: r.reseller_name,
            kind: ClientKind::from_stored(&r.kind),
            name: r.name,
            trade_name: r.trade_name,
            document: r.document.as_deref().and_then(Document::from_stored),
            rg_ie: r.rg_ie,
            birth_date: r.birth_date.as_deref().map(parse_stored_date),
            address: Address {
                street: r.street,
                number: r.number,
                complement: r.complement,
                district: r.district,
                city: r.city,
                state: r.state,
                postal_code: r.postal_code,
            },
            phones: split_phones(&r.phones),
            emails: split_emails(&r.emails),
            notes: r.notes,
            status: ClientStatus::from_stored(&r.status),
            unverified: split_unverified(&r.unverified),
            created_at: parse_instant(&r.created_at),
        }
    }
}

/// The columns of [`SummaryRow`], from `clients c JOIN resellers r`.
pub(crate) const SUMMARY_COLUMNS: &str =
    "c.id, c.code, c.name, c.trade_name, c.city, c.state, c.status, c.phones, r.name AS reseller_name";

#[derive(sqlx::FromRow)]
pub(crate) struct SummaryRow {
    id: i64,
    code: String,
    name: String,
    trade_name: String,
    city: String,
    state: String,
    status: String,
    phones: String,
    reseller_name: String,
}

impl From<SummaryRow> for ClientSummary {
    fn from(r: SummaryRow) -> ClientSummary {
        ClientSummary {
            id: ClientId(r.id),
            code: r.code,
            name: r.name,
            trade_name: r.trade_name,
            city: r.city,
            state: r.state,
            status: ClientStatus::from_stored(&r.status),
            phones: split_phones(&r.phones),
            reseller_name: r.reseller_name,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ResellerRow {
    id: i64,
    name: String,
}

impl From<ResellerRow> for Reseller {
    fn from(r: ResellerRow) -> Reseller {
        Reseller { id: ResellerId(r.id), name: r.name }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RoleRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) sees_documents: i64,
}

impl From<RoleRow> for Role {
    fn from(r: RoleRow) -> Role {
        Role { id: RoleId(r.id), name: r.name, sees_documents: r.sees_documents != 0 }
    }
}

/// The columns of [`SubscriptionRow`].
pub(crate) const SUBSCRIPTION_COLUMNS: &str = "s.id, s.client_id, s.plan_id, p.name AS plan_name, s.price_cents, \
     s.billing_method, s.due_day, COALESCE(st.name, s.salesperson_name) AS salesperson, s.routing_point_id, \
     rp.name AS routing_point_name, s.status, s.created_at";

/// The joins [`SUBSCRIPTION_COLUMNS`] read from.
pub(crate) const SUBSCRIPTION_FROM: &str = "subscriptions s JOIN plans p ON p.id = s.plan_id \
     LEFT JOIN staff st ON st.id = s.salesperson_id LEFT JOIN routing_points rp ON rp.id = s.routing_point_id";

#[derive(sqlx::FromRow)]
pub(crate) struct SubscriptionRow {
    id: i64,
    client_id: i64,
    plan_id: i64,
    plan_name: String,
    price_cents: i64,
    billing_method: String,
    due_day: i64,
    salesperson: Option<String>,
    routing_point_id: Option<i64>,
    routing_point_name: Option<String>,
    status: String,
    created_at: String,
}

impl From<SubscriptionRow> for Subscription {
    fn from(r: SubscriptionRow) -> Subscription {
        Subscription {
            id: SubscriptionId(r.id),
            client_id: ClientId(r.client_id),
            plan_id: PlanId(r.plan_id),
            plan_name: r.plan_name,
            price: Money(r.price_cents),
            billing_method: BillingMethod::parse(&r.billing_method).unwrap_or(BillingMethod::Boleto),
            due_day: DueDay::from_stored(r.due_day),
            salesperson: r.salesperson,
            routing_point: r
                .routing_point_id
                .zip(r.routing_point_name)
                .map(|(id, name)| RoutingPoint { id: RoutingPointId(id), name }),
            status: SubscriptionStatus::from_stored(&r.status),
            created_at: parse_instant(&r.created_at),
        }
    }
}

/// The columns of [`ReceivableRow`], from `receivables rc`.
pub(crate) const RECEIVABLE_COLUMNS: &str = "rc.id, rc.client_id, rc.due_date, rc.description, rc.amount_cents, \
     rc.paid_cents, rc.settled_on, rc.created_at, \
     (SELECT s.paid_on FROM settlements s WHERE s.receivable_id = rc.id ORDER BY s.paid_on DESC, s.id DESC LIMIT 1) \
     AS last_paid_on, \
     (SELECT s.amount_cents FROM settlements s WHERE s.receivable_id = rc.id ORDER BY s.paid_on DESC, s.id DESC \
     LIMIT 1) AS last_paid_cents";

#[derive(sqlx::FromRow)]
pub(crate) struct ReceivableRow {
    id: i64,
    client_id: i64,
    due_date: String,
    description: String,
    amount_cents: i64,
    paid_cents: i64,
    settled_on: Option<String>,
    created_at: String,
    last_paid_on: Option<String>,
    last_paid_cents: Option<i64>,
}

impl From<ReceivableRow> for Receivable {
    fn from(r: ReceivableRow) -> Receivable {
        Receivable {
            id: ReceivableId(r.id),
            client_id: ClientId(r.client_id),
            due_date: parse_stored_date(&r.due_date),
            description: r.description,
            amount: Money(r.amount_cents),
            paid: Money(r.paid_cents),
            settled_on: r.settled_on.as_deref().map(parse_stored_date),
            created_at: parse_instant(&r.created_at),
            last_paid: r.last_paid_on.as_deref().map(parse_stored_date).zip(r.last_paid_cents.map(Money)),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SettlementRow {
    paid_on: String,
    amount_cents: i64,
    method: String,
    recorded_by: String,
}

impl From<SettlementRow> for Settlement {
    fn from(r: SettlementRow) -> Settlement {
        Settlement {
            paid_on: parse_stored_date(&r.paid_on),
            amount: Money(r.amount_cents),
            method: r.method,
            recorded_by: r.recorded_by,
        }
    }
}

/// The columns of [`TicketRow`], from `tickets t JOIN clients c JOIN ticket_types tt JOIN contact_channels ch`.
pub(crate) const TICKET_COLUMNS: &str = "t.id, t.protocol, t.reseller_id, t.client_id, c.name AS client_name, \
     t.subscription_id, t.routing_point_id, t.contact_name, t.contact_email, t.problem, t.channel_id, ch.name AS channel_name, \
     t.ticket_type_id, tt.name AS ticket_type_name, t.assignee_staff_id, t.assignee_role_id, t.checks, t.status, \
     t.resolved_on_first_contact, t.resolution, t.opened_by, t.created_at, t.resolved_at";

/// The joins [`TICKET_COLUMNS`] read from.
pub(crate) const TICKET_FROM: &str = "tickets t JOIN clients c ON c.id = t.client_id \
     JOIN ticket_types tt ON tt.id = t.ticket_type_id JOIN contact_channels ch ON ch.id = t.channel_id";

#[derive(sqlx::FromRow)]
pub(crate) struct TicketRow {
    id: i64,
    protocol: String,
    reseller_id: i64,
    client_id: i64,
    client_name: String,
    subscription_id: Option<i64>,
    routing_point_id: Option<i64>,
    contact_name: String,
    contact_email: Option<String>,
    problem: String,
    channel_id: i64,
    channel_name: String,
    ticket_type_id: i64,
    ticket_type_name: String,
    assignee_staff_id: Option<i64>,
    assignee_role_id: Option<i64>,
    checks: String,
    status: String,
    resolved_on_first_contact: i64,
    resolution: String,
    opened_by: Option<i64>,
    created_at: String,
    resolved_at: Option<String>,
}

impl From<TicketRow> for Ticket {
    fn from(r: TicketRow) -> Ticket {
        let assignee = match (r.assignee_staff_id, r.assignee_role_id) {
            (Some(s), _) => Assignee::User(StaffId(s)),
            (None, Some(role)) => Assignee::Role(RoleId(role)),
            (None, None) => Assignee::Role(RoleId(0)),
        };
        Ticket {
            id: TicketId(r.id),
            protocol: r.protocol,
            reseller_id: ResellerId(r.reseller_id),
            client_id: ClientId(r.client_id),
            client_name: r.client_name,
            subscription_id: r.subscription_id.map(SubscriptionId),
            routing_point_id: r.routing_point_id.map(RoutingPointId),
            contact_name: r.contact_name,
            contact_email: r.contact_email,
            problem: r.problem,
            channel: Named { id: ChannelId(r.channel_id), name: r.channel_name },
            ticket_type: Named { id: TicketTypeId(r.ticket_type_id), name: r.ticket_type_name },
            assignee,
            checks: r.checks,
            status: TicketStatus::from_stored(&r.status),
            resolved_on_first_contact: r.resolved_on_first_contact != 0,
            resolution: r.resolution,
            opened_by: r.opened_by.map(StaffId),
            created_at: parse_instant(&r.created_at),
            resolved_at: r.resolved_at.as_deref().map(parse_instant),
        }
    }
}

/// The columns of [`WorkOrderRow`], from [`WORK_ORDER_FROM`].
pub(crate) const WORK_ORDER_COLUMNS: &str = "w.id, w.ticket_id, w.client_id, w.visit_date, w.window_start, w.window_end, \
     w.technician_id, w.address, w.task, w.status, w.outcome, c.name AS client_name, c.phones AS client_phones, \
     t.contact_name, t.problem, p.name AS plan_name";

/// A work order with its client, its ticket and the ticket's plan: what the technician reads.
pub(crate) const WORK_ORDER_FROM: &str = "work_orders w JOIN clients c ON c.id = w.client_id \
     JOIN tickets t ON t.id = w.ticket_id LEFT JOIN subscriptions s ON s.id = t.subscription_id \
     LEFT JOIN plans p ON p.id = s.plan_id";

#[derive(sqlx::FromRow)]
pub(crate) struct WorkOrderRow {
    id: i64,
    ticket_id: i64,
    client_id: i64,
    visit_date: String,
    window_start: String,
    window_end: String,
    technician_id: Option<i64>,
    address: String,
    task: String,
    status: String,
    outcome: String,
    client_name: String,
    client_phones: String,
    contact_name: String,
    problem: String,
    plan_name: Option<String>,
}

impl From<WorkOrderRow> for WorkOrder {
    fn from(w: WorkOrderRow) -> WorkOrder {
        let time = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap_or_default();
        WorkOrder {
            id: WorkOrderId(w.id),
            ticket_id: TicketId(w.ticket_id),
            client_id: ClientId(w.client_id),
            date: parse_stored_date(&w.visit_date),
            window_start: time(&w.window_start),
            window_end: time(&w.window_end),
            technician: w.technician_id.map(StaffId),
            address: w.address,
            task: w.task,
            status: WorkOrderStatus::from_stored(&w.status),
            outcome: w.outcome,
            client_name: w.client_name,
            phones: split_phones(&w.client_phones),
            contact_name: w.contact_name,
            problem: w.problem,
            plan: w.plan_name,
        }
    }
}
