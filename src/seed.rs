//! `balcao seed --demo`: a believable provider to try balcão on: three
//! resellers, staff in every role, ~500 clients with Brazilian names, cities
//! and phones, plans, a year of receivables with some overdue, and tickets.
//! Goes through the same import and ticket paths as real data; running it
//! again changes nothing that is already there.

use balcao_domain::client::{Address, ClientKind, ClientStatus, NewClient};
use balcao_domain::document::Document;
use balcao_domain::finance::NewReceivable;
use balcao_domain::phone::Phone;
use balcao_domain::ports::{Clients, Directory, Imports, Tickets};
use balcao_domain::staff::{Actor, NewStaff};
use balcao_domain::subscription::{BillingMethod, DueDay, NewSubscription, Salesperson};
use balcao_domain::ticket::{Assignee, NewTicket, NewWorkOrder, parse_time};
use balcao_domain::{Money, ResellerId};
use balcao_storage::Counted;
use chrono::{Datelike, NaiveDate};

use crate::App;
use crate::demo::{self, Rng};

/// Demo resellers: the provider's own clients live in "Matriz".
pub const RESELLERS: [&str; 3] = ["Matriz", "Litoral Net", "Serra Fibra"];
const ROUTING_POINTS: [&str; 4] = ["POP Centro", "OLT Jardim América", "Torre Serra Azul", "Concentrador BNG-01"];
const SALESPEOPLE: [&str; 4] = ["Rafael Nogueira", "Patrícia Lemos", "Marcos Vinícius", "Loja Centro"];
const PROBLEMS: [(&str, &str); 6] = [
    ("Sem conexão", "Cliente relata que a internet caiu desde ontem à noite; luz da ONU piscando vermelho."),
    ("Lentidão", "Velocidade muito abaixo do contratado à noite, principalmente no Wi-Fi do quarto."),
    ("Financeiro", "Cliente diz que pagou o boleto do mês passado e ainda aparece em aberto."),
    ("Mudança de endereço", "Vai se mudar no fim do mês e quer levar a internet para o novo endereço."),
    ("Cancelamento", "Quer cancelar por causa de mudança de cidade."),
    ("Instalação", "Instalação de ponto adicional no escritório."),
];

/// What the demo created, for the summary printed.
#[derive(Debug, Default)]
pub struct Seeded {
    /// Clients created now.
    pub clients: usize,
    /// Subscriptions created now.
    pub subscriptions: usize,
    /// Receivables created now.
    pub receivables: usize,
    /// Tickets created now.
    pub tickets: usize,
    /// Staff added now, with their invite codes.
    pub staff: Vec<(String, String, Option<String>)>,
}

/// Fills the store with the demo provider, as of `today`.
pub async fn demo(app: &App, clients: usize) -> anyhow::Result<Seeded> {
    let db = &app.db;
    let today = app.today();
    let mut seeded = Seeded::default();
    let mut resellers = Vec::new();
    for name in RESELLERS {
        resellers.push(db.ensure_reseller(name).await?.id);
    }
    for rp in ROUTING_POINTS {
        db.ensure_routing_point(rp).await?;
    }
    let staff_plan: [(&str, Option<&str>, &str); 5] = [
        ("Ana Beatriz Supervisora", None, "Supervisor"),
        ("Bruno Atendente", Some("Litoral Net"), "Suporte N1"),
        ("Camila Suporte", Some("Matriz"), "Suporte N2"),
        ("Carla Cobrança", Some("Serra Fibra"), "Financeiro"),
        ("Diego Técnico", None, "Técnico de campo"),
    ];
    let mut technician = None;
    if db.count(Counted::Staff).await? == 0 {
        for (name, reseller, role) in staff_plan {
            let added = app
                .add_staff(&NewStaff {
                    name: name.into(),
                    reseller: reseller.map(str::to_owned),
                    roles: vec![role.into()],
                    email: None,
                    telegram_id: None,
                })
                .await?;
            if role == "Técnico de campo" {
                technician = Some(added.staff.id);
            }
            seeded.staff.push((name.into(), role.into(), added.invite_code));
        }
    }

    let mut rng = Rng::new(20_261_128);
    let mut client_rows = Vec::with_capacity(clients);
    for i in 0..clients {
        let d = demo::client(&mut rng);
        let reseller: ResellerId = resellers[i % resellers.len()];
        let status = match rng.below(100) {
            0..=3 => ClientStatus::Suspended,
            4..=5 => ClientStatus::Cancelled,
            _ => ClientStatus::Active,
        };
        client_rows.push((i + 1, new_client(d, (1001 + i).to_string(), reseller, status)));
    }
    seeded.clients = db.import_clients(&client_rows).await?.created;

    let plans = db.plans().await?;
    let mut subs = Vec::new();
    let mut receivables = Vec::new();
    for (_, c) in &client_rows {
        let plan = rng.pick(&plans);
        let due_day = [5u8, 10, 15, 20, 25][rng.below(5) as usize];
        let method = *rng.pick(&BillingMethod::ALL);
        subs.push((
            0,
            NewSubscription {
                client_code: c.code.clone(),
                plan_name: plan.name.clone(),
                price: Some(plan.price),
                billing_method: method,
                due_day: DueDay::parse(&due_day.to_string())?,
                salesperson: Some(Salesperson::Name(rng.pick(&SALESPEOPLE).to_string())),
                routing_point: Some(rng.pick(&ROUTING_POINTS).to_string()),
            },
        ));
        // Twelve months back and the coming one; a few clients stop paying
        // one to three months ago, some pay late or in part.
        let stops_paying = if rng.chance(12) { Some(1 + rng.below(3) as i32) } else { None };
        for back in (-1..12).rev() {
            let month_start = add_months(today.with_day(1).unwrap_or(today), -back);
            let due = month_start.with_day(u32::from(due_day)).unwrap_or(month_start);
            let description = format!("Mensalidade {} - {:02}/{}", plan.name, due.month(), due.year());
            let unpaid = due >= today || stops_paying.is_some_and(|n| back < n);
            let settlement = if unpaid {
                None
            } else if rng.chance(4) {
                Some((due + chrono::Duration::days(3), Money(plan.price.cents() / 2)))
            } else {
                let late = if rng.chance(15) { 1 + rng.below(20) as i64 } else { 0 };
                Some((
                    due + chrono::Duration::days(late) - chrono::Duration::days(i64::from(!rng.chance(50))),
                    plan.price,
                ))
            };
            receivables.push((
                0,
                NewReceivable {
                    client_code: c.code.clone(),
                    due_date: due,
                    description,
                    amount: plan.price,
                    settlement,
                },
            ));
        }
    }
    seeded.subscriptions = db.import_subscriptions(&subs).await?.created;
    seeded.receivables = db.import_receivables(&receivables).await?.created;

    if db.count(Counted::Tickets).await? == 0 {
        seeded.tickets = demo_tickets(app, &client_rows, &mut rng, today, technician).await?;
    }
    Ok(seeded)
}

async fn demo_tickets(
    app: &App,
    clients: &[(usize, NewClient)],
    rng: &mut Rng,
    today: NaiveDate,
    technician: Option<balcao_domain::StaffId>,
) -> anyhow::Result<usize> {
    let db = &app.db;
    let actor = Actor::admin();
    let types = db.ticket_types().await?;
    let channels = db.channels().await?;
    let roles = db.roles().await?;
    let mut count = 0;
    for i in 0..clients.len().min(40) {
        let (_, c) = &clients[(i * 7) % clients.len()];
        let client = db.client_by_code(&actor, &c.code).await?;
        let (type_name, problem) = PROBLEMS[i % PROBLEMS.len()];
        let Some(ticket_type) = types.iter().find(|t| t.name == type_name) else { continue };
        let channel = &channels[rng.below(4) as usize];
        let role_name = match type_name {
            "Financeiro" | "Cancelamento" => "Financeiro",
            "Sem conexão" | "Lentidão" => "Suporte N1",
            _ => "Suporte N2",
        };
        let Some(role) = roles.iter().find(|r| r.name == role_name) else { continue };
        let subscription = db.subscriptions(&actor, client.id).await?.into_iter().next();
        let work_order = (type_name == "Sem conexão" || type_name == "Instalação").then(|| NewWorkOrder {
            date: today + chrono::Duration::days(1 + (i % 3) as i64),
            window_start: parse_time(if i % 2 == 0 { "08:00" } else { "13:00" }).unwrap_or_default(),
            window_end: parse_time(if i % 2 == 0 { "12:00" } else { "18:00" }).unwrap_or_default(),
            technician,
            address: String::new(),
            task: "Verificar sinal da fibra e trocar o conector se preciso.".into(),
        });
        let new = NewTicket {
            client_id: client.id,
            subscription_id: subscription.as_ref().map(|s| s.id),
            routing_point_id: subscription.as_ref().and_then(|s| s.routing_point.as_ref().map(|r| r.id)),
            contact_name: client.name.split(' ').next().unwrap_or("Cliente").to_owned(),
            problem: problem.into(),
            channel_id: channel.id,
            ticket_type_id: ticket_type.id,
            assignee: Assignee::Role(role.id),
            checks: "Confirmados nome, endereço e plano.".into(),
            resolution: (i % 4 == 3).then(|| "Orientado a reiniciar o roteador; conexão voltou.".to_owned()),
            work_order,
        };
        db.open_ticket(&actor, &new, today).await?;
        count += 1;
    }
    Ok(count)
}

/// A generated client as the store takes it.
pub fn new_client(d: demo::DemoClient, code: String, reseller_id: ResellerId, status: ClientStatus) -> NewClient {
    NewClient {
        code,
        reseller_id,
        kind: if d.is_company { ClientKind::Company } else { ClientKind::Person },
        name: d.name,
        trade_name: d.trade_name,
        document: Document::parse(&d.document).ok(),
        rg_ie: String::new(),
        birth_date: NaiveDate::from_ymd_opt(d.birth_date.0, d.birth_date.1, d.birth_date.2),
        address: Address {
            street: d.street,
            number: d.number,
            complement: d.complement,
            district: d.district,
            city: d.city,
            state: d.state,
            postal_code: d.postal_code,
        },
        phones: d.phones.iter().filter_map(|p| Phone::parse(p).ok()).collect(),
        emails: d.emails,
        notes: String::new(),
        status,
        unverified: Vec::new(),
    }
}

/// The first day of the month `months` away from `d` (a first of month).
fn add_months(d: NaiveDate, months: i32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + months;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1).unwrap_or(d)
}
