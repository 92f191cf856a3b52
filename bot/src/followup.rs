//! Manutenção do Atendimento and the technicians' O.S.: the actions on a
//! ticket's screen (note, status, reassign, Assumir, resolve, reopen) and on
//! a work order (start, finish, give back). Ids come from buttons and are
//! checked by the store against the actor, like typed input.

use balcao_domain::callback::Callback;
use balcao_domain::staff::Actor;
use balcao_domain::ticket::{Assignee, TicketStatus, WorkOrder};
use balcao_domain::{DomainError, TicketId, WorkOrderId};
use serde::{Deserialize, Serialize};

use crate::desk::{Desk, Halt, Screen, Tapped, button};
use crate::render;
use crate::state::{ChatState, Step};
use crate::text;

/// Text a ticket or work order action waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Awaited {
    /// A note on the ticket.
    Note,
    /// How it was solved.
    Resolution,
    /// Why it is reopened.
    Reopening,
    /// What the technician did.
    Outcome,
    /// Why the technician gives it back.
    GiveBack,
    /// An answer to the client, sent by e-mail.
    Reply,
}

impl Awaited {
    fn prompt(self) -> &'static str {
        match self {
            Awaited::Note => text::ASK_NOTE,
            Awaited::Resolution => text::ASK_RESOLUTION,
            Awaited::Reopening => text::ASK_REOPENING,
            Awaited::Outcome => text::ASK_OUTCOME,
            Awaited::GiveBack => text::ASK_GIVE_BACK,
            Awaited::Reply => text::REPLY_PROMPT,
        }
    }
}

impl Desk {
    /// The ticket's screen, with the actions the actor may take.
    pub(crate) async fn ticket_screen(&self, actor: &Actor, id: TicketId) -> Result<Screen, DomainError> {
        let detail = self.in_local_time(self.store.ticket(actor, id).await?);
        let assignee = self.assignee_name(&detail.ticket.assignee).await?;
        let extra = self.ticket_extra(actor, &detail.ticket).await?;
        Ok(render::ticket_with_actions(&detail, &assignee, &extra, actor))
    }

    /// The Plano and the Ponto de Roteamento a ticket was opened with, by name.
    pub(crate) async fn ticket_extra(
        &self,
        actor: &Actor,
        t: &balcao_domain::ticket::Ticket,
    ) -> Result<Vec<(&'static str, String)>, DomainError> {
        let mut extra = Vec::new();
        if let Some(s) = t.subscription_id {
            let plans = self.store.subscriptions(actor, t.client_id).await?;
            if let Some(p) = plans.iter().find(|p| p.id == s) {
                extra.push(("Plano", format!("{} ({})", p.plan_name, p.status.label())));
            }
        }
        if let Some(r) = t.routing_point_id
            && let Some(point) = self.store.routing_points().await?.into_iter().find(|p| p.id == r)
        {
            extra.push(("Ponto de Roteamento", point.name));
        }
        Ok(extra)
    }

    /// The buttons of tickets and work orders.
    pub(crate) async fn followup_tap(&self, actor: &Actor, state: &mut ChatState, callback: Callback) -> Tapped {
        match callback {
            Callback::Ticket(t) => Ok((None, self.ticket_screen(actor, t).await?, Vec::new())),
            Callback::Note(t) | Callback::Resolve(t) | Callback::Reopen(t) | Callback::Reply(t) => {
                self.store.ticket(actor, t).await?;
                let awaited = match callback {
                    Callback::Note(_) => Awaited::Note,
                    Callback::Resolve(_) => Awaited::Resolution,
                    Callback::Reply(_) => Awaited::Reply,
                    _ => Awaited::Reopening,
                };
                state.step = Step::TicketText { ticket: t, awaited };
                Ok((None, ask(awaited, Callback::Ticket(t)), Vec::new()))
            }
            Callback::SendReply(t) => {
                // Only the draft this chat typed for this ticket: an old button sends nothing.
                let Step::ReplyDraft { ticket: drafted, text: draft } = &state.step else {
                    return Err(Halt::Stale);
                };
                if *drafted != t {
                    return Err(Halt::Stale);
                }
                let draft = draft.clone();
                match self.store.reply_to_client(actor, t, &draft).await {
                    Ok(_) => {
                        state.step = Step::Idle;
                        Ok((Some(text::REPLY_SENT.into()), self.ticket_screen(actor, t).await?, Vec::new()))
                    }
                    Err(DomainError::Invalid(reason) | DomainError::Conflict(reason)) => {
                        state.step = Step::Idle;
                        let s = self.ticket_screen(actor, t).await?;
                        let text = format!("{}\n\n{}", text::sentence(&reason), s.text);
                        Ok((None, Screen { text, keyboard: s.keyboard }, Vec::new()))
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Callback::PickStatus(t) => {
                self.store.ticket(actor, t).await?;
                Ok((None, render::pick_status(t), Vec::new()))
            }
            Callback::Messages(t, page) => {
                let detail = self.in_local_time(self.store.ticket(actor, t).await?);
                let opened_at = (self.local)(detail.ticket.created_at);
                Ok((None, render::messages(&detail, opened_at, page), Vec::new()))
            }
            Callback::SetStatus(t, code) => {
                let status = match code {
                    0 => TicketStatus::Open,
                    1 => TicketStatus::InProgress,
                    2 => TicketStatus::WaitingClient,
                    _ => return Err(Halt::Stale),
                };
                self.store.set_status(actor, t, status).await?;
                Ok((Some(text::status_set(status.label())), self.ticket_screen(actor, t).await?, Vec::new()))
            }
            Callback::Forward(t, page) => {
                let detail = self.store.ticket(actor, t).await?;
                let staff = self.store.assignable_staff(actor, detail.ticket.reseller_id).await?;
                let roles = self.store.roles().await?;
                Ok((None, render::pick_assignee(t, &staff, &roles, page), Vec::new()))
            }
            Callback::ForwardToUser(t, _) | Callback::ForwardToRole(t, _) => {
                let to = match callback {
                    Callback::ForwardToUser(_, s) => Assignee::User(s),
                    Callback::ForwardToRole(_, r) => Assignee::Role(r),
                    _ => return Err(Halt::Stale),
                };
                let detail = self.store.reassign(actor, t, to).await?;
                let name = self.assignee_name(&detail.ticket.assignee).await?;
                Ok((Some(text::forwarded(&name)), self.ticket_screen(actor, t).await?, Vec::new()))
            }
            Callback::Take(t) => {
                self.store.take(actor, t).await?;
                Ok((Some(text::TAKEN.into()), self.ticket_screen(actor, t).await?, Vec::new()))
            }
            Callback::PickTechnician(w, page) => {
                let (wo, technicians) = self.technicians_for(actor, w).await?;
                Ok((None, render::pick_technician(&wo, &technicians, page), Vec::new()))
            }
            Callback::AssignTechnician(w, s) => {
                // Only a technician the picker could have shown: a forged id gets nowhere.
                let (_, technicians) = self.technicians_for(actor, w).await?;
                let chosen = technicians.iter().find(|t| t.id == s).ok_or(DomainError::NotFound("técnico"))?;
                let detail = self.store.assign_work_order(actor, w, s).await?;
                let notice = text::work_order_for(w.0, &chosen.name);
                Ok((Some(notice), self.ticket_screen(actor, detail.ticket.id).await?, Vec::new()))
            }
            Callback::MyWorkOrders(page) => {
                state.step = Step::Idle;
                let list = self.store.my_work_orders(actor).await?;
                Ok((None, render::my_work_orders(&list, page), Vec::new()))
            }
            Callback::WorkOrder(w) => Ok((None, render::work_order(&self.my_work_order(actor, w).await?), Vec::new())),
            // From the O.S., its ticket: Voltar returns to the O.S.
            Callback::WorkOrderTicket(w) => {
                let wo = self.store.work_order(actor, w).await?;
                let mut screen = self.ticket_screen(actor, wo.ticket_id).await?;
                let back = Callback::WorkOrder(w).encode();
                for b in screen.keyboard.iter_mut().flatten().filter(|b| b.label == text::BACK) {
                    b.data = back.clone();
                }
                Ok((None, screen, Vec::new()))
            }
            Callback::StartWorkOrder(w) => {
                let wo = self.store.start_work_order(actor, w).await?;
                Ok((Some(text::WORK_ORDER_STARTED.into()), render::work_order(&wo), Vec::new()))
            }
            Callback::FinishWorkOrder(w) | Callback::GiveBack(w) => {
                self.my_work_order(actor, w).await?;
                let awaited =
                    if matches!(callback, Callback::FinishWorkOrder(_)) { Awaited::Outcome } else { Awaited::GiveBack };
                state.step = Step::WorkOrderText { work_order: w, awaited };
                Ok((None, ask(awaited, Callback::WorkOrder(w)), Vec::new()))
            }
            // The desk sends only the buttons above here.
            _ => Err(Halt::Stale),
        }
    }

    /// A work order of a ticket the actor may see, and the technicians (staff
    /// of the role Técnico de campo) who serve its client's reseller.
    async fn technicians_for(
        &self,
        actor: &Actor,
        id: WorkOrderId,
    ) -> Result<(WorkOrder, Vec<balcao_domain::staff::Staff>), DomainError> {
        let wo = self.store.work_order(actor, id).await?;
        let reseller = self.store.ticket(actor, wo.ticket_id).await?.ticket.reseller_id;
        let staff = self.store.assignable_staff(actor, reseller).await?;
        let technicians = staff
            .into_iter()
            .filter(|s| s.roles.iter().any(|r| r.name == balcao_domain::staff::TECHNICIAN_ROLE))
            .collect();
        Ok((wo, technicians))
    }

    async fn my_work_order(&self, actor: &Actor, id: WorkOrderId) -> Result<WorkOrder, DomainError> {
        self.store.my_work_orders(actor).await?.into_iter().find(|w| w.id == id).ok_or(DomainError::NotFound("O.S."))
    }

    /// Typed text for a ticket action; the screen to send.
    pub(crate) async fn ticket_text(
        &self,
        actor: &Actor,
        state: &mut ChatState,
        ticket: TicketId,
        awaited: Awaited,
        typed: &str,
    ) -> Result<Screen, DomainError> {
        if awaited == Awaited::Reply {
            let draft = typed.trim();
            if draft.chars().count() < 2 {
                let s = ask(awaited, Callback::Ticket(ticket));
                return Ok(Screen { text: format!("{}\n\n{}", text::REPLY_TOO_SHORT, s.text), keyboard: s.keyboard });
            }
            self.store.ticket(actor, ticket).await?;
            state.step = Step::ReplyDraft { ticket, text: draft.to_owned() };
            return Ok(render::confirm_reply(ticket, draft));
        }
        let done = match awaited {
            Awaited::Note => self.store.add_note(actor, ticket, typed).await.map(|_| text::NOTE_SAVED),
            Awaited::Resolution => self.store.resolve(actor, ticket, typed).await.map(|_| text::RESOLVED),
            _ => self.store.reopen(actor, ticket, typed).await.map(|_| text::REOPENED),
        };
        match done {
            Ok(notice) => {
                state.step = Step::Idle;
                let s = self.ticket_screen(actor, ticket).await?;
                Ok(Screen { text: format!("{notice}\n\n{}", s.text), keyboard: s.keyboard })
            }
            Err(DomainError::Invalid(reason)) | Err(DomainError::Conflict(reason)) => {
                let s = ask(awaited, Callback::Ticket(ticket));
                Ok(Screen { text: format!("{}\n\n{}", text::sentence(&reason), s.text), keyboard: s.keyboard })
            }
            Err(e) => Err(e),
        }
    }

    /// Typed text for a work order action; the screen to send.
    pub(crate) async fn work_order_text(
        &self,
        actor: &Actor,
        state: &mut ChatState,
        id: WorkOrderId,
        awaited: Awaited,
        typed: &str,
    ) -> Result<Screen, DomainError> {
        let done = if awaited == Awaited::Outcome {
            self.store.finish_work_order(actor, id, typed).await.map(|wo| (text::WORK_ORDER_DONE, Some(wo)))
        } else {
            self.store.give_back_work_order(actor, id, typed).await.map(|_| (text::WORK_ORDER_GIVEN_BACK, None))
        };
        match done {
            Ok((notice, wo)) => {
                state.step = Step::Idle;
                let s = match wo {
                    Some(wo) => render::work_order(&wo),
                    None => render::my_work_orders(&self.store.my_work_orders(actor).await?, 0),
                };
                Ok(Screen { text: format!("{notice}\n\n{}", s.text), keyboard: s.keyboard })
            }
            Err(DomainError::Invalid(reason)) | Err(DomainError::Conflict(reason)) => {
                let s = ask(awaited, Callback::WorkOrder(id));
                Ok(Screen { text: format!("{}\n\n{}", text::sentence(&reason), s.text), keyboard: s.keyboard })
            }
            Err(e) => Err(e),
        }
    }
}

fn ask(awaited: Awaited, back: Callback) -> Screen {
    Screen {
        text: awaited.prompt().into(),
        keyboard: vec![vec![button(text::BACK, back), button(text::CANCEL, Callback::Menu)]],
    }
}
