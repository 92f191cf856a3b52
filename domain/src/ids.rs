//! Typed ids, so a client id can never be passed where a ticket id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A reseller (revenda).
    ResellerId,
    /// A staff member (usuário).
    StaffId,
    /// A role (cargo).
    RoleId,
    /// A client (cliente).
    ClientId,
    /// A plan of the catalog (plano).
    PlanId,
    /// A client's subscription to a plan.
    SubscriptionId,
    /// A routing point (ponto de roteamento).
    RoutingPointId,
    /// A receivable (conta a receber).
    ReceivableId,
    /// A ticket type (tipo de atendimento).
    TicketTypeId,
    /// A contact channel (tipo de contato).
    ChannelId,
    /// A ticket (atendimento).
    TicketId,
    /// A work order (O.S.).
    WorkOrderId,
    /// A notification of the outbox.
    NotificationId,
    /// A role's Telegram group chat.
    RoleGroupId,
    /// A contact delivered to intake (an e-mail, a form).
    DeliveryId,
);
