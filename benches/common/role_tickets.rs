//! What the notification benchmarks share: a reseller's role with its
//! members, and tickets for that role, written through the real use cases so
//! that the outbox holds one row per member (and channel) and ticket.

use balcao::App;
use balcao_domain::client::{Address, ClientKind, ClientStatus, NewClient};
use balcao_domain::ports::{Clients, Directory, Tickets};
use balcao_domain::staff::{Actor, NewStaff};
use balcao_domain::ticket::{Assignee, NewTicket};

/// The reseller and role the benchmarks fill.
pub const RESELLER: &str = "Litoral Net";
const ROLE: &str = "Suporte N1";

/// Adds `members` members of the role, made by `member(i)` (their contact details).
pub async fn hire(
    app: &App,
    members: usize,
    member: impl Fn(usize) -> (Option<String>, Option<i64>),
) -> anyhow::Result<()> {
    app.db.ensure_reseller(RESELLER).await?;
    for i in 0..members {
        let (email, telegram_id) = member(i);
        let new = NewStaff {
            name: format!("Atendente {i:03}"),
            reseller: Some(RESELLER.into()),
            roles: vec![ROLE.into()],
            email,
            telegram_id,
        };
        app.db.add_staff(&new, None).await?;
    }
    Ok(())
}

/// Opens `tickets` tickets for the role, for one client of the reseller.
pub async fn open_for_role(app: &App, tickets: usize) -> anyhow::Result<()> {
    let reseller = app.db.ensure_reseller(RESELLER).await?;
    let client = NewClient {
        code: String::new(),
        reseller_id: reseller.id,
        kind: ClientKind::Person,
        name: "Maria da Conceição Souza".into(),
        trade_name: String::new(),
        document: None,
        rg_ie: String::new(),
        birth_date: None,
        address: Address { city: "Ubatuba".into(), state: "SP".into(), ..Address::default() },
        phones: vec![],
        emails: vec![],
        notes: String::new(),
        status: ClientStatus::Active,
        unverified: Vec::new(),
    };
    let client = app.db.create_client(&Actor::admin(), &client).await?;
    let role = app.db.roles().await?.into_iter().find(|r| r.name == ROLE).map(|r| r.id).expect("default role");
    let (types, channels) = (app.db.ticket_types().await?, app.db.channels().await?);
    for i in 0..tickets {
        let new = NewTicket {
            client_id: client.id,
            subscription_id: None,
            routing_point_id: None,
            contact_name: "Maria".into(),
            problem: format!("Sem conexão desde a manhã, chamado {i}.\nJá reiniciou a ONU."),
            channel_id: channels[3].id,
            ticket_type_id: types[0].id,
            assignee: Assignee::Role(role),
            checks: String::new(),
            resolution: None,
            work_order: None,
        };
        app.db.open_ticket(&Actor::admin(), &new, app.today()).await?;
    }
    Ok(())
}
