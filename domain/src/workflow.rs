//! The rules of working a ticket and its work orders, as plain functions over
//! plain data: given what is stored now, a command and who gives it, [`decide`]
//! answers the [`Change`] to write (new status and assignee, one typed history
//! entry, who must hear of it) or why not. Every front door (the bot, intake,
//! scheduled jobs) goes through these; the store only loads and locks the row,
//! calls them and writes what they answer.

use crate::error::{DomainError, DomainResult};
use crate::ids::{ResellerId, RoleId, StaffId, WorkOrderId};
use crate::staff::{Actor, Scope};
use crate::ticket::{Assignee, NewTicket, NewWorkOrder, TicketStatus, WorkOrderStatus};

/// A ticket as its rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketState {
    /// The client's reseller.
    pub reseller: ResellerId,
    /// Situação.
    pub status: TicketStatus,
    /// Destino.
    pub assignee: Assignee,
    /// The name of the user holding it, when a user does.
    pub holder_name: Option<String>,
}

/// Someone a ticket or a work order may be given to, as the store found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A staff member, with their name and, when active, where they may act.
    User {
        /// Who.
        id: StaffId,
        /// Their name.
        name: String,
        /// Where they may act; `None` when they are not active.
        scope: Option<Scope>,
    },
    /// A role, with its name.
    Role {
        /// Which.
        id: RoleId,
        /// Its name.
        name: String,
    },
}

impl Target {
    /// The assignee this target becomes.
    pub fn assignee(&self) -> Assignee {
        match self {
            Target::User { id, .. } => Assignee::User(*id),
            Target::Role { id, .. } => Assignee::Role(*id),
        }
    }

    /// Refuses a user who does not serve `reseller` (or is not active).
    fn serves(&self, reseller: ResellerId, who: &str) -> DomainResult<()> {
        match self {
            Target::User { scope, .. } if !scope.is_some_and(|s| s.covers(reseller)) => {
                Err(DomainError::invalid(format!("este {who} não atende a revenda do cliente")))
            }
            _ => Ok(()),
        }
    }
}

/// What someone asks of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Adds a note (interação).
    Note(String),
    /// Moves an open ticket among Aberto, Em andamento and Aguardando cliente.
    SetStatus(TicketStatus),
    /// Encaminhar: gives it to a user or a role.
    Reassign(Target),
    /// Assumir: a member of the assigned role takes it; their name as history shows it.
    Take(String),
    /// Resolves it, saying how.
    Resolve(String),
    /// Reopens a resolved ticket, saying why.
    Reopen(String),
    /// The client wrote again (a reply by e-mail or form), with what they wrote.
    ClientWrote(String),
    /// A staff member answers the client by e-mail, with the text sent.
    ReplyToClient(String),
}

/// What happened to a ticket, as its history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Opened, with the problem reported.
    Opened(String),
    /// A note.
    Note(String),
    /// A new situação.
    Status(TicketStatus),
    /// Given to a user (their name).
    AssignedUser(String),
    /// Given to a role (its name).
    AssignedRole(String),
    /// Taken by a role's member (their name).
    Taken(String),
    /// Resolved, with how.
    Resolved(String),
    /// Reopened, with why.
    Reopened(String),
    /// The client wrote, with what.
    ClientWrote(String),
    /// Staff answered the client by e-mail, with what.
    RepliedToClient(String),
    /// A work order was scheduled: its description.
    WorkOrderScheduled(String),
    /// A work order was given to a technician.
    WorkOrderAssigned(WorkOrderId, String),
    /// The technician started the work order.
    WorkOrderStarted(WorkOrderId),
    /// The technician finished it, with what was done.
    WorkOrderDone(WorkOrderId, String),
    /// The technician gave it back, with why.
    WorkOrderReturned(WorkOrderId, String),
}

impl Entry {
    /// The stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Opened(_) => "opened",
            Entry::Note(_) => "note",
            Entry::Status(_) => "status",
            Entry::AssignedUser(_) | Entry::AssignedRole(_) => "assigned",
            Entry::Taken(_) => "taken",
            Entry::Resolved(_) => "resolved",
            Entry::Reopened(_) => "reopened",
            Entry::ClientWrote(_) => "client_wrote",
            Entry::RepliedToClient(_) => "replied",
            Entry::WorkOrderScheduled(_) => "work_order",
            Entry::WorkOrderAssigned(..) => "work_order_assigned",
            Entry::WorkOrderStarted(_) => "work_order_started",
            Entry::WorkOrderDone(..) => "work_order_done",
            Entry::WorkOrderReturned(..) => "work_order_returned",
        }
    }

    /// What staff read in the history.
    pub fn detail(&self) -> String {
        match self {
            Entry::Opened(text)
            | Entry::Note(text)
            | Entry::Resolved(text)
            | Entry::WorkOrderScheduled(text)
            | Entry::ClientWrote(text)
            | Entry::RepliedToClient(text) => text.clone(),
            Entry::Status(status) => format!("Situação: {}", status.label()),
            Entry::AssignedUser(name) => format!("Encaminhado para {name}"),
            Entry::AssignedRole(name) => format!("Encaminhado para Cargo {name}"),
            Entry::Taken(name) => format!("Assumido por {name}"),
            Entry::Reopened(reason) => format!("Reaberto: {reason}"),
            Entry::WorkOrderAssigned(id, name) => format!("O.S. {id} para {name}"),
            Entry::WorkOrderStarted(id) => format!("O.S. {id} em execução"),
            Entry::WorkOrderDone(id, outcome) => format!("O.S. {id} concluída: {outcome}"),
            Entry::WorkOrderReturned(id, reason) => format!("O.S. {id} devolvida: {reason}"),
        }
    }
}

/// Who must hear of a change. The store resolves each into outbox rows in the
/// change's transaction; the acting staff member never hears of their own act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// The assignee (the user, or the role's members or group) hears the ticket is theirs.
    Assigned(Assignee),
    /// Those told of the role's ticket on Telegram see who took it.
    Taken(StaffId),
    /// The assignee hears the client wrote again.
    ClientWrote(Assignee),
    /// The client receives the reply by e-mail.
    EmailClient,
    /// The technician hears of a work order given to them.
    WorkOrder(StaffId),
    /// The ticket's owner (the user, or the role's members) hears what
    /// someone else did to it: resolved, reopened, its O.S. finished or given back.
    News(Assignee),
}

/// The owner of a ticket hears of a change, unless they made it themselves.
fn tell_owner(owner: Assignee, actor: &Actor) -> Vec<Intent> {
    match (owner, actor.staff_id()) {
        (Assignee::User(u), Some(me)) if u == me => Vec::new(),
        _ => vec![Intent::News(owner)],
    }
}

/// How a change leaves the ticket's resolution text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// As it was.
    Keep,
    /// Resolved with this text, now.
    Set(String),
    /// No longer resolved: emptied (the history keeps the old one).
    Clear,
}

/// What to write for a command: the ticket's new status and assignee, its
/// resolution, the history entry and who hears. No entry means nothing
/// changes (asking for what already holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The status after the change.
    pub status: TicketStatus,
    /// The assignee after the change.
    pub assignee: Assignee,
    /// The resolution after the change.
    pub resolution: Resolution,
    /// The history entry; `None` when nothing changes.
    pub entry: Option<Entry>,
    /// Who hears.
    pub notify: Vec<Intent>,
}

impl Change {
    /// Nothing changes.
    fn none(state: &TicketState) -> Change {
        Change {
            status: state.status,
            assignee: state.assignee,
            resolution: Resolution::Keep,
            entry: None,
            notify: Vec::new(),
        }
    }

    /// The same ticket with `entry` added and nothing else changed.
    fn entry(state: &TicketState, entry: Entry) -> Change {
        Change { entry: Some(entry), ..Change::none(state) }
    }

    /// Whether anything is to be written.
    pub fn is_none(&self) -> bool {
        self.entry.is_none()
    }
}

/// The text trimmed, when it has at least `min` characters; otherwise `Invalid(message)`.
pub fn typed(text: &str, min: usize, message: &str) -> DomainResult<String> {
    let text = text.trim();
    if text.chars().count() < min {
        return Err(DomainError::invalid(message));
    }
    Ok(text.to_owned())
}

const RESOLVED_FIRST: &str = "o atendimento está resolvido; reabra-o antes";

/// Decides a command on a ticket.
pub fn decide(state: &TicketState, command: Command, actor: &Actor) -> DomainResult<Change> {
    let open = state.status != TicketStatus::Resolved;
    match command {
        Command::Note(note) => Ok(Change::entry(state, Entry::Note(typed(&note, 2, "escreva a anotação")?))),
        Command::SetStatus(TicketStatus::Resolved) => {
            Err(DomainError::invalid("para resolver, descreva como o atendimento foi resolvido"))
        }
        Command::SetStatus(_) if !open => Err(DomainError::invalid(RESOLVED_FIRST)),
        Command::SetStatus(status) if status == state.status => Ok(Change::none(state)),
        Command::SetStatus(status) => Ok(Change { status, ..Change::entry(state, Entry::Status(status)) }),
        Command::Reassign(target) => {
            target.serves(state.reseller, "usuário")?;
            let assignee = target.assignee();
            if assignee == state.assignee {
                return Ok(Change::none(state));
            }
            let entry = match target {
                Target::User { name, .. } => Entry::AssignedUser(name),
                Target::Role { name, .. } => Entry::AssignedRole(name),
            };
            Ok(Change { assignee, notify: vec![Intent::Assigned(assignee)], ..Change::entry(state, entry) })
        }
        Command::Take(name) => {
            let Some(me) = actor.staff_id() else {
                return Err(DomainError::invalid("só um usuário pode assumir um atendimento"));
            };
            if !open {
                return Err(DomainError::invalid(RESOLVED_FIRST));
            }
            match state.assignee {
                Assignee::User(holder) if holder == me => Ok(Change::none(state)),
                // Someone holds it already: most often a colleague who pressed Assumir first.
                Assignee::User(_) => Err(DomainError::Conflict(format!(
                    "{} já assumiu este atendimento",
                    state.holder_name.as_deref().unwrap_or("outro usuário")
                ))),
                Assignee::Role(role) if actor.roles.contains(&role) => Ok(Change {
                    status: TicketStatus::InProgress,
                    assignee: Assignee::User(me),
                    notify: vec![Intent::Taken(me)],
                    ..Change::entry(state, Entry::Taken(name))
                }),
                Assignee::Role(_) => Err(DomainError::invalid("este atendimento não está com um cargo seu")),
            }
        }
        Command::Resolve(text) => {
            let text = typed(&text, 3, "descreva como o atendimento foi resolvido")?;
            if !open {
                return Err(DomainError::invalid("o atendimento já está resolvido"));
            }
            Ok(Change {
                status: TicketStatus::Resolved,
                resolution: Resolution::Set(text.clone()),
                notify: tell_owner(state.assignee, actor),
                ..Change::entry(state, Entry::Resolved(text))
            })
        }
        Command::Reopen(reason) => {
            let reason = typed(&reason, 3, "diga por que o atendimento está sendo reaberto")?;
            if open {
                return Err(DomainError::invalid("o atendimento não está resolvido"));
            }
            Ok(Change {
                status: TicketStatus::Open,
                resolution: Resolution::Clear,
                notify: tell_owner(state.assignee, actor),
                ..Change::entry(state, Entry::Reopened(reason))
            })
        }
        Command::ClientWrote(text) => {
            let text = typed(&text, 1, "a mensagem do cliente está vazia")?;
            // The client answered: whoever waited on them, or had closed the
            // ticket, has it back to work.
            let status = match (state.status, state.assignee) {
                (TicketStatus::Resolved, _) => TicketStatus::Open,
                (TicketStatus::WaitingClient, Assignee::User(_)) => TicketStatus::InProgress,
                (TicketStatus::WaitingClient, Assignee::Role(_)) => TicketStatus::Open,
                (status, _) => status,
            };
            let resolution = if open { Resolution::Keep } else { Resolution::Clear };
            Ok(Change {
                status,
                resolution,
                notify: vec![Intent::ClientWrote(state.assignee)],
                ..Change::entry(state, Entry::ClientWrote(text))
            })
        }
        Command::ReplyToClient(text) => {
            if actor.staff_id().is_none() {
                return Err(DomainError::invalid("só um usuário responde ao cliente"));
            }
            let text = typed(&text, 2, "escreva a resposta ao cliente")?;
            if !open {
                return Err(DomainError::invalid(RESOLVED_FIRST));
            }
            Ok(Change {
                status: TicketStatus::WaitingClient,
                notify: vec![Intent::EmailClient],
                ..Change::entry(state, Entry::RepliedToClient(text))
            })
        }
    }
}

/// What opening a ticket writes besides the ticket itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    /// Its first status: Resolvido when solved at once, else Aberto.
    pub status: TicketStatus,
    /// Its history entries, in order.
    pub entries: Vec<Entry>,
    /// Who hears.
    pub notify: Vec<Intent>,
}

/// Decides Novo Atendimento: `assignee` and `technician` as the store found
/// them; `reseller` is the client's.
pub fn open(
    new: &NewTicket,
    reseller: ResellerId,
    assignee: &Target,
    technician: Option<&Target>,
    actor: &Actor,
) -> DomainResult<Opening> {
    new.validate()?;
    assignee.serves(reseller, "usuário")?;
    if let Some(t) = technician {
        t.serves(reseller, "técnico")?;
    }
    let mut entries = vec![Entry::Opened(new.problem.trim().to_owned())];
    let mut notify = Vec::new();
    let status = match new.resolution.as_deref().map(str::trim) {
        Some(text) => {
            entries.push(Entry::Resolved(text.to_owned()));
            TicketStatus::Resolved
        }
        None => {
            notify.push(Intent::Assigned(assignee.assignee()));
            TicketStatus::Open
        }
    };
    if let Some(wo) = &new.work_order {
        entries.push(scheduled(wo));
        notify.extend(tell_technician(wo, actor));
    }
    Ok(Opening { status, entries, notify })
}

/// The history entry of a work order scheduled.
fn scheduled(wo: &NewWorkOrder) -> Entry {
    Entry::WorkOrderScheduled(format!(
        "O.S. agendada para {} das {} às {}: {}",
        crate::finance::format_date(wo.date),
        wo.window_start.format("%H:%M"),
        wo.window_end.format("%H:%M"),
        wo.task.trim()
    ))
}

/// The technician of a new work order hears of it, unless they asked for it.
fn tell_technician(wo: &NewWorkOrder, actor: &Actor) -> Option<Intent> {
    wo.technician.filter(|t| actor.staff_id() != Some(*t)).map(Intent::WorkOrder)
}

/// Decides a new work order asked on an existing ticket: only an open one
/// with no work order scheduled or in progress (`active`); `technician` as
/// the store found them. The history entry and who hears.
pub fn request_work_order(
    state: &TicketState,
    wo: &NewWorkOrder,
    active: bool,
    technician: Option<&Target>,
    actor: &Actor,
) -> DomainResult<(Entry, Vec<Intent>)> {
    if state.status == TicketStatus::Resolved {
        return Err(DomainError::invalid(RESOLVED_FIRST));
    }
    if active {
        return Err(DomainError::invalid("este atendimento já tem uma O.S. agendada ou em execução"));
    }
    wo.validate()?;
    if let Some(t) = technician {
        t.serves(state.reseller, "técnico")?;
    }
    Ok((scheduled(wo), tell_technician(wo, actor).into_iter().collect()))
}

/// A work order as its rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrderState {
    /// Its id.
    pub id: WorkOrderId,
    /// Its ticket's status.
    pub ticket_status: TicketStatus,
    /// The client's reseller.
    pub reseller: ResellerId,
    /// Its status.
    pub status: WorkOrderStatus,
    /// Its technician.
    pub technician: Option<StaffId>,
    /// Whom its ticket is with: they hear when the O.S. is finished or given back.
    pub ticket_assignee: Assignee,
}

/// What someone asks of a work order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkOrderCommand {
    /// The technician starts it.
    Start,
    /// The technician finishes it, saying what was done.
    Finish(String),
    /// The technician gives it back, saying why.
    GiveBack(String),
    /// Someone gives a scheduled one to a technician.
    Assign(Target),
}

/// What to write for a work-order command. No entry means nothing changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrderChange {
    /// Its status after the change.
    pub status: WorkOrderStatus,
    /// Its technician after the change.
    pub technician: Option<StaffId>,
    /// What was done, when finished now.
    pub outcome: Option<String>,
    /// The ticket's history entry; `None` when nothing changes.
    pub entry: Option<Entry>,
    /// Who hears.
    pub notify: Vec<Intent>,
}

/// Why a work order in this status cannot take the step asked.
fn work_order_refusal(status: WorkOrderStatus) -> DomainError {
    DomainError::invalid(match status {
        WorkOrderStatus::Scheduled => "a O.S. ainda não foi iniciada",
        WorkOrderStatus::InProgress => "a O.S. já está em execução",
        WorkOrderStatus::Done => "a O.S. já foi concluída",
        WorkOrderStatus::Cancelled => "a O.S. foi cancelada",
    })
}

/// Decides a command on a work order. Start, Finish and GiveBack are the
/// technician's own: anyone else is told it does not exist.
pub fn decide_work_order(
    state: &WorkOrderState,
    command: WorkOrderCommand,
    actor: &Actor,
) -> DomainResult<WorkOrderChange> {
    let unchanged = WorkOrderChange {
        status: state.status,
        technician: state.technician,
        outcome: None,
        entry: None,
        notify: Vec::new(),
    };
    let id = state.id;
    let own = || match actor.staff_id() {
        Some(me) if state.technician == Some(me) => Ok(me),
        _ => Err(DomainError::NotFound("O.S.")),
    };
    let active = matches!(state.status, WorkOrderStatus::Scheduled | WorkOrderStatus::InProgress);
    match command {
        WorkOrderCommand::Start => {
            let me = own()?;
            if state.status != WorkOrderStatus::Scheduled {
                return Err(work_order_refusal(state.status));
            }
            let entry = Some(Entry::WorkOrderStarted(id));
            Ok(WorkOrderChange { status: WorkOrderStatus::InProgress, technician: Some(me), entry, ..unchanged })
        }
        WorkOrderCommand::Finish(outcome) => {
            let outcome = typed(&outcome, 3, "descreva o que foi feito na visita")?;
            let me = own()?;
            if !active {
                return Err(work_order_refusal(state.status));
            }
            Ok(WorkOrderChange {
                status: WorkOrderStatus::Done,
                technician: Some(me),
                entry: Some(Entry::WorkOrderDone(id, outcome.clone())),
                outcome: Some(outcome),
                notify: tell_owner(state.ticket_assignee, actor),
            })
        }
        WorkOrderCommand::GiveBack(reason) => {
            let reason = typed(&reason, 3, "diga por que a O.S. está sendo devolvida")?;
            own()?;
            if !active {
                return Err(work_order_refusal(state.status));
            }
            let entry = Some(Entry::WorkOrderReturned(id, reason));
            let notify = tell_owner(state.ticket_assignee, actor);
            Ok(WorkOrderChange { status: WorkOrderStatus::Scheduled, technician: None, entry, notify, ..unchanged })
        }
        WorkOrderCommand::Assign(target) => {
            if state.ticket_status == TicketStatus::Resolved {
                return Err(DomainError::invalid(RESOLVED_FIRST));
            }
            if state.status != WorkOrderStatus::Scheduled {
                return Err(work_order_refusal(state.status));
            }
            target.serves(state.reseller, "técnico")?;
            let Target::User { id: technician, name, .. } = target else {
                return Err(DomainError::invalid("uma O.S. vai para um técnico, não para um cargo"));
            };
            if state.technician == Some(technician) {
                return Ok(unchanged);
            }
            let notify =
                if actor.staff_id() == Some(technician) { Vec::new() } else { vec![Intent::WorkOrder(technician)] };
            Ok(WorkOrderChange {
                technician: Some(technician),
                entry: Some(Entry::WorkOrderAssigned(id, name)),
                notify,
                ..unchanged
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staff::System;

    const ACME: ResellerId = ResellerId(1);
    const N1: RoleId = RoleId(10);

    fn staff(id: i64, roles: &[RoleId]) -> Actor {
        Actor::staff(StaffId(id), Scope::Reseller(ACME), roles.to_vec(), false)
    }

    fn state(status: TicketStatus, assignee: Assignee) -> TicketState {
        TicketState { reseller: ACME, status, assignee, holder_name: None }
    }

    fn user(id: i64, scope: Option<Scope>) -> Target {
        Target::User { id: StaffId(id), name: format!("Pessoa {id}"), scope }
    }

    #[test]
    fn a_note_adds_an_entry_and_changes_nothing_else() {
        let s = state(TicketStatus::Open, Assignee::Role(N1));
        let c = decide(&s, Command::Note("  cliente ligou  ".into()), &staff(1, &[])).unwrap();
        assert_eq!(c.entry, Some(Entry::Note("cliente ligou".into())));
        assert_eq!((c.status, c.assignee, c.notify.len()), (TicketStatus::Open, Assignee::Role(N1), 0));
        assert!(decide(&s, Command::Note(" x ".into()), &staff(1, &[])).is_err());
    }

    #[test]
    fn status_moves_only_while_open_and_never_to_resolved() {
        let open = state(TicketStatus::Open, Assignee::Role(N1));
        let me = staff(1, &[]);
        let c = decide(&open, Command::SetStatus(TicketStatus::WaitingClient), &me).unwrap();
        assert_eq!(c.status, TicketStatus::WaitingClient);
        assert_eq!(c.entry.unwrap().detail(), "Situação: Aguardando cliente");
        assert!(decide(&open, Command::SetStatus(TicketStatus::Open), &me).unwrap().is_none());
        assert!(decide(&open, Command::SetStatus(TicketStatus::Resolved), &me).is_err());
        let resolved = state(TicketStatus::Resolved, Assignee::Role(N1));
        let e = decide(&resolved, Command::SetStatus(TicketStatus::Open), &me).unwrap_err();
        assert!(e.to_string().contains("reabra"));
    }

    #[test]
    fn reassigning_checks_the_users_reseller_and_tells_the_new_assignee() {
        let s = state(TicketStatus::Open, Assignee::Role(N1));
        let me = staff(1, &[]);
        let other = Scope::Reseller(ResellerId(2));
        assert!(decide(&s, Command::Reassign(user(5, Some(other))), &me).is_err());
        assert!(decide(&s, Command::Reassign(user(5, None)), &me).is_err(), "an inactive user is refused");
        let c = decide(&s, Command::Reassign(user(5, Some(Scope::Provider))), &me).unwrap();
        assert_eq!(c.assignee, Assignee::User(StaffId(5)));
        assert_eq!(c.notify, vec![Intent::Assigned(Assignee::User(StaffId(5)))]);
        assert_eq!(c.entry.unwrap().detail(), "Encaminhado para Pessoa 5");
        let same = Target::Role { id: N1, name: "Suporte N1".into() };
        assert!(decide(&s, Command::Reassign(same), &me).unwrap().is_none());
    }

    #[test]
    fn only_a_member_of_the_role_takes_and_a_holder_is_named() {
        let s = state(TicketStatus::Open, Assignee::Role(N1));
        let c = decide(&s, Command::Take("Ana".into()), &staff(1, &[N1])).unwrap();
        assert_eq!((c.status, c.assignee), (TicketStatus::InProgress, Assignee::User(StaffId(1))));
        assert_eq!(c.notify, vec![Intent::Taken(StaffId(1))]);
        assert!(decide(&s, Command::Take("Bia".into()), &staff(2, &[])).is_err());
        let held = TicketState { holder_name: Some("Ana".into()), ..state(TicketStatus::InProgress, c.assignee) };
        let e = decide(&held, Command::Take("Bia".into()), &staff(2, &[N1])).unwrap_err();
        assert!(matches!(e, DomainError::Conflict(m) if m == "Ana já assumiu este atendimento"));
        assert!(decide(&held, Command::Take("Ana".into()), &staff(1, &[N1])).unwrap().is_none());
        assert!(decide(&s, Command::Take("x".into()), &Actor::system(System::Intake)).is_err());
    }

    #[test]
    fn resolving_and_reopening_keep_the_resolution_in_step() {
        let me = staff(1, &[]);
        let s = state(TicketStatus::InProgress, Assignee::User(StaffId(1)));
        let c = decide(&s, Command::Resolve(" troquei a ONU ".into()), &me).unwrap();
        assert_eq!((c.status, c.resolution), (TicketStatus::Resolved, Resolution::Set("troquei a ONU".into())));
        let resolved = state(TicketStatus::Resolved, s.assignee);
        assert!(decide(&resolved, Command::Resolve("de novo".into()), &me).is_err());
        assert!(decide(&s, Command::Reopen("voltou a cair".into()), &me).is_err());
        let c = decide(&resolved, Command::Reopen("voltou a cair".into()), &me).unwrap();
        assert_eq!((c.status, c.resolution), (TicketStatus::Open, Resolution::Clear));
        assert_eq!(c.entry.unwrap().detail(), "Reaberto: voltou a cair");
    }

    #[test]
    fn a_client_writing_brings_the_ticket_back_to_work_and_tells_the_assignee() {
        let intake = Actor::system(System::Intake);
        let held = Assignee::User(StaffId(3));
        for (before, assignee, after) in [
            (TicketStatus::WaitingClient, held, TicketStatus::InProgress),
            (TicketStatus::WaitingClient, Assignee::Role(N1), TicketStatus::Open),
            (TicketStatus::Resolved, held, TicketStatus::Open),
            (TicketStatus::InProgress, held, TicketStatus::InProgress),
        ] {
            let c = decide(&state(before, assignee), Command::ClientWrote("ainda sem sinal".into()), &intake).unwrap();
            assert_eq!(c.status, after, "from {before:?}");
            assert_eq!(c.notify, vec![Intent::ClientWrote(assignee)]);
            assert_eq!(c.resolution == Resolution::Clear, before == TicketStatus::Resolved);
        }
    }

    #[test]
    fn only_staff_reply_to_the_client_and_the_ticket_waits_for_them() {
        let s = state(TicketStatus::InProgress, Assignee::User(StaffId(1)));
        let c = decide(&s, Command::ReplyToClient("Reinicie o roteador".into()), &staff(1, &[])).unwrap();
        assert_eq!((c.status, c.notify), (TicketStatus::WaitingClient, vec![Intent::EmailClient]));
        assert!(decide(&s, Command::ReplyToClient("Oi".into()), &Actor::system(System::Jobs)).is_err());
        let resolved = state(TicketStatus::Resolved, s.assignee);
        assert!(decide(&resolved, Command::ReplyToClient("Oi!".into()), &staff(1, &[])).is_err());
    }

    fn work_order(status: WorkOrderStatus, technician: Option<i64>) -> WorkOrderState {
        WorkOrderState {
            id: WorkOrderId(7),
            ticket_status: TicketStatus::Open,
            reseller: ACME,
            status,
            technician: technician.map(StaffId),
            ticket_assignee: Assignee::Role(N1),
        }
    }

    #[test]
    fn the_owner_hears_what_someone_else_did_and_not_what_they_did_themselves() {
        let mine = state(TicketStatus::Open, Assignee::User(StaffId(1)));
        let resolve = || Command::Resolve("trocado o conector".into());
        assert_eq!(
            decide(&mine, resolve(), &staff(2, &[])).unwrap().notify,
            [Intent::News(Assignee::User(StaffId(1)))]
        );
        assert!(decide(&mine, resolve(), &staff(1, &[])).unwrap().notify.is_empty());
        let closed = state(TicketStatus::Resolved, Assignee::Role(N1));
        let reopened = decide(&closed, Command::Reopen("voltou a cair".into()), &staff(1, &[N1])).unwrap();
        assert_eq!(reopened.notify, [Intent::News(Assignee::Role(N1))]);
        let tech = Actor::staff(StaffId(9), Scope::Reseller(ACME), vec![], false);
        let wo = work_order(WorkOrderStatus::InProgress, Some(9));
        let done = decide_work_order(&wo, WorkOrderCommand::Finish("feito".into()), &tech).unwrap();
        assert_eq!(done.notify, [Intent::News(Assignee::Role(N1))]);
        let back = decide_work_order(&wo, WorkOrderCommand::GiveBack("sem acesso".into()), &tech).unwrap();
        assert_eq!(back.notify, [Intent::News(Assignee::Role(N1))]);
        let started =
            decide_work_order(&work_order(WorkOrderStatus::Scheduled, Some(9)), WorkOrderCommand::Start, &tech);
        assert!(started.unwrap().notify.is_empty(), "starting is not news");
    }

    #[test]
    fn a_work_order_moves_only_in_its_technicians_hands() {
        let me = staff(4, &[]);
        let mine = work_order(WorkOrderStatus::Scheduled, Some(4));
        let c = decide_work_order(&mine, WorkOrderCommand::Start, &me).unwrap();
        assert_eq!(c.status, WorkOrderStatus::InProgress);
        assert_eq!(c.entry.unwrap().detail(), "O.S. 7 em execução");
        let e = decide_work_order(&mine, WorkOrderCommand::Start, &staff(5, &[])).unwrap_err();
        assert!(matches!(e, DomainError::NotFound("O.S.")));
        let done = decide_work_order(&mine, WorkOrderCommand::Finish("trocada".into()), &me).unwrap();
        assert_eq!((done.status, done.outcome), (WorkOrderStatus::Done, Some("trocada".into())));
        let back = decide_work_order(&mine, WorkOrderCommand::GiveBack("sem acesso".into()), &me).unwrap();
        assert_eq!((back.status, back.technician), (WorkOrderStatus::Scheduled, None));
        let finished = work_order(WorkOrderStatus::Done, Some(4));
        let e = decide_work_order(&finished, WorkOrderCommand::Start, &me).unwrap_err();
        assert_eq!(e.to_string(), "a O.S. já foi concluída");
    }

    #[test]
    fn a_work_order_goes_to_a_technician_of_the_clients_reseller() {
        let wo = work_order(WorkOrderStatus::Scheduled, None);
        let me = staff(1, &[]);
        let away = user(4, Some(Scope::Reseller(ResellerId(2))));
        assert!(decide_work_order(&wo, WorkOrderCommand::Assign(away), &me).is_err());
        let c = decide_work_order(&wo, WorkOrderCommand::Assign(user(4, Some(Scope::Provider))), &me).unwrap();
        assert_eq!((c.technician, c.notify), (Some(StaffId(4)), vec![Intent::WorkOrder(StaffId(4))]));
        let self_assigned = decide_work_order(&wo, WorkOrderCommand::Assign(user(1, Some(Scope::Provider))), &me);
        assert!(self_assigned.unwrap().notify.is_empty(), "nobody hears of their own act");
        let closed = WorkOrderState { ticket_status: TicketStatus::Resolved, ..wo };
        assert!(decide_work_order(&closed, WorkOrderCommand::Assign(user(4, Some(Scope::Provider))), &me).is_err());
    }
}
