//! Tickets (atendimentos) with their history, and work orders (O.S.).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::ids::{
    ChannelId, ClientId, ResellerId, RoleId, RoutingPointId, StaffId, SubscriptionId, TicketId, TicketTypeId,
    WorkOrderId,
};

/// Ticket types every installation starts with.
pub const DEFAULT_TICKET_TYPES: [&str; 7] =
    ["Sem conexão", "Lentidão", "Financeiro", "Mudança de endereço", "Cancelamento", "Instalação", "Outros"];

/// Contact channels every installation starts with: the web module's four and
/// the two through which balcão itself receives contacts.
pub const DEFAULT_CHANNELS: [&str; 6] = ["E-mail", "Fax", "Visita", "Telefone", "Formulário", "Telegram"];

/// A named option of a catalog (ticket type, contact channel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named<Id> {
    /// Its id.
    pub id: Id,
    /// Its name.
    pub name: String,
}

/// Tipo de Atendimento.
pub type TicketType = Named<TicketTypeId>;
/// Tipo de Contato.
pub type ContactChannel = Named<ChannelId>;

/// Destino: who must act on the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum Assignee {
    /// Usuário: one staff member.
    User(StaffId),
    /// Cargo: everyone holding the role.
    Role(RoleId),
}

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Aberto, nobody working it yet.
    Open,
    /// Em andamento.
    InProgress,
    /// Aguardando cliente.
    WaitingClient,
    /// Resolvido.
    Resolved,
}

impl TicketStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::InProgress => "in_progress",
            TicketStatus::WaitingClient => "waiting_client",
            TicketStatus::Resolved => "resolved",
        }
    }

    /// From the stored form.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "in_progress" => TicketStatus::InProgress,
            "waiting_client" => TicketStatus::WaitingClient,
            "resolved" => TicketStatus::Resolved,
            _ => TicketStatus::Open,
        }
    }

    /// What staff read.
    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Open => "Aberto",
            TicketStatus::InProgress => "Em andamento",
            TicketStatus::WaitingClient => "Aguardando cliente",
            TicketStatus::Resolved => "Resolvido",
        }
    }
}

/// A protocol number people can read and say on the phone: the day it was
/// opened and that day's sequence, "20261128-0042".
pub fn protocol(day: NaiveDate, sequence: i64) -> String {
    format!("{}-{:04}", day.format("%Y%m%d"), sequence)
}

/// A ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Its id.
    pub id: TicketId,
    /// Protocolo.
    pub protocol: String,
    /// The client's reseller.
    pub reseller_id: ResellerId,
    /// The client.
    pub client_id: ClientId,
    /// The client's name.
    pub client_name: String,
    /// The subscription concerned.
    pub subscription_id: Option<SubscriptionId>,
    /// Ponto de roteamento.
    pub routing_point_id: Option<RoutingPointId>,
    /// Nome da Pessoa.
    pub contact_name: String,
    /// The address the client wrote from, when the ticket came by e-mail or
    /// form: answers from the desk go there.
    pub contact_email: Option<String>,
    /// Problema descrito pelo cliente.
    pub problem: String,
    /// Tipo de Contato.
    pub channel: ContactChannel,
    /// Tipo de Atendimento.
    pub ticket_type: TicketType,
    /// Destino.
    pub assignee: Assignee,
    /// Verificações.
    pub checks: String,
    /// Situação.
    pub status: TicketStatus,
    /// Atendimento Resolvido no primeiro contato.
    pub resolved_on_first_contact: bool,
    /// How it was solved.
    pub resolution: String,
    /// Who opened it (none when it came in by e-mail or form).
    pub opened_by: Option<StaffId>,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Novo Atendimento, as the web module asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    /// Cliente.
    pub client_id: ClientId,
    /// Plano.
    pub subscription_id: Option<SubscriptionId>,
    /// Ponto de roteamento.
    pub routing_point_id: Option<RoutingPointId>,
    /// Nome da Pessoa.
    pub contact_name: String,
    /// Problema descrito pelo cliente.
    pub problem: String,
    /// Tipo de Contato.
    pub channel_id: ChannelId,
    /// Tipo de Atendimento.
    pub ticket_type_id: TicketTypeId,
    /// Destino.
    pub assignee: Assignee,
    /// Verificações.
    pub checks: String,
    /// Atendimento Resolvido: how it was solved, when solved at once.
    pub resolution: Option<String>,
    /// Pedir O.S.
    pub work_order: Option<NewWorkOrder>,
}

impl NewTicket {
    /// Checks the texts a person typed.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.contact_name.trim().is_empty() {
            return Err(DomainError::invalid("informe o nome da pessoa"));
        }
        if self.problem.trim().chars().count() < 3 {
            return Err(DomainError::invalid("descreva o problema relatado pelo cliente"));
        }
        if let Some(r) = &self.resolution
            && r.trim().chars().count() < 3
        {
            return Err(DomainError::invalid("descreva como o atendimento foi resolvido"));
        }
        if let Some(wo) = &self.work_order {
            wo.validate()?;
        }
        Ok(())
    }
}

/// One entry of a ticket's history: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEvent {
    /// Its id.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (none for the system).
    pub actor: Option<StaffId>,
    /// The actor's name, as shown.
    pub actor_name: String,
    /// What happened, e.g. "opened", "note", "status", "assigned", "resolved".
    pub kind: String,
    /// Details in the words staff read.
    pub detail: String,
}

/// Where a work order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkOrderStatus {
    /// Agendada.
    Scheduled,
    /// Em execução.
    InProgress,
    /// Concluída.
    Done,
    /// Cancelada.
    Cancelled,
}

impl WorkOrderStatus {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkOrderStatus::Scheduled => "scheduled",
            WorkOrderStatus::InProgress => "in_progress",
            WorkOrderStatus::Done => "done",
            WorkOrderStatus::Cancelled => "cancelled",
        }
    }

    /// From the stored form.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "in_progress" => WorkOrderStatus::InProgress,
            "done" => WorkOrderStatus::Done,
            "cancelled" => WorkOrderStatus::Cancelled,
            _ => WorkOrderStatus::Scheduled,
        }
    }

    /// What staff read.
    pub fn label(self) -> &'static str {
        match self {
            WorkOrderStatus::Scheduled => "Agendada",
            WorkOrderStatus::InProgress => "Em execução",
            WorkOrderStatus::Done => "Concluída",
            WorkOrderStatus::Cancelled => "Cancelada",
        }
    }
}

/// Pedir O.S.: a field visit to schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWorkOrder {
    /// Date of the visit.
    pub date: NaiveDate,
    /// Time window start.
    pub window_start: NaiveTime,
    /// Time window end.
    pub window_end: NaiveTime,
    /// The technician, when already chosen.
    pub technician: Option<StaffId>,
    /// Where; empty takes the client's address.
    pub address: String,
    /// What to do.
    pub task: String,
}

impl NewWorkOrder {
    /// Checks the window and the task.
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.window_end <= self.window_start {
            return Err(DomainError::invalid("o fim da janela de horário deve ser depois do início"));
        }
        if self.task.trim().chars().count() < 3 {
            return Err(DomainError::invalid("descreva o que o técnico deve fazer"));
        }
        Ok(())
    }
}

/// A work order (O.S.).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkOrder {
    /// Its id.
    pub id: WorkOrderId,
    /// The ticket it serves.
    pub ticket_id: TicketId,
    /// The client.
    pub client_id: ClientId,
    /// Date of the visit.
    pub date: NaiveDate,
    /// Window start.
    pub window_start: NaiveTime,
    /// Window end.
    pub window_end: NaiveTime,
    /// The technician.
    pub technician: Option<StaffId>,
    /// Where.
    pub address: String,
    /// What to do.
    pub task: String,
    /// Situação.
    pub status: WorkOrderStatus,
    /// What was done, once finished.
    pub outcome: String,
    /// The client's name.
    #[serde(default)]
    pub client_name: String,
    /// The client's phones.
    #[serde(default)]
    pub phones: Vec<crate::phone::Phone>,
    /// Who called, as the ticket has it.
    #[serde(default)]
    pub contact_name: String,
    /// The ticket's problem.
    #[serde(default)]
    pub problem: String,
    /// The plan the ticket is about, when one.
    #[serde(default)]
    pub plan: Option<String>,
}

/// A ticket with everything the detail screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketDetail {
    /// The ticket.
    pub ticket: Ticket,
    /// Its history, oldest first.
    pub history: Vec<TicketEvent>,
    /// Its work orders.
    pub work_orders: Vec<WorkOrder>,
}

/// Reads "08:00" or "8h".
pub fn parse_time(s: &str) -> Result<NaiveTime, DomainError> {
    let t = s.trim().to_lowercase();
    let t = t.strip_suffix('h').unwrap_or(&t);
    let (h, m) = t.split_once([':', 'h']).unwrap_or((t, "0"));
    let m = if m.is_empty() { "0" } else { m };
    match (h.parse::<u32>(), m.parse::<u32>()) {
        (Ok(h), Ok(m)) => NaiveTime::from_hms_opt(h, m, 0),
        _ => None,
    }
    .ok_or_else(|| DomainError::invalid(format!("horário inválido \"{}\": use hh:mm", s.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_reads_as_day_and_sequence() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(protocol(d, 42), "20261128-0042");
    }

    #[test]
    fn times_are_read_in_common_shapes() {
        assert_eq!(parse_time("08:30").unwrap(), NaiveTime::from_hms_opt(8, 30, 0).unwrap());
        assert_eq!(parse_time("14h").unwrap(), NaiveTime::from_hms_opt(14, 0, 0).unwrap());
        assert_eq!(parse_time("9h30").unwrap(), NaiveTime::from_hms_opt(9, 30, 0).unwrap());
        assert!(parse_time("25:00").is_err());
        assert!(parse_time("manhã").is_err());
    }

    #[test]
    fn work_order_window_must_be_forward() {
        let wo = NewWorkOrder {
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            window_start: parse_time("12:00").unwrap(),
            window_end: parse_time("08:00").unwrap(),
            technician: None,
            address: String::new(),
            task: "Trocar ONU".into(),
        };
        assert!(wo.validate().is_err());
    }
}
