//! `balcao`: the command line of balcão. `balcao --help` lists everything.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use balcao::import::{self, Kind};
use balcao::settings::Settings;
use balcao::{App, render, seed};
use balcao_domain::finance::{Period, ReceivableDetail, Statement, parse_date};
use balcao_domain::ports::{Clients, Directory, Finance, Outbox, Tickets, UpdateInbox};
use balcao_domain::search::{SearchFilter, SearchTerm};
use balcao_domain::staff::{Actor, NewStaff};
use balcao_domain::{DomainError, ReceivableId};
use clap::{Parser, Subcommand, ValueEnum};

/// balcão: the provider's client desk in Telegram.
#[derive(Parser)]
#[command(name = "balcao", version, about)]
struct Cli {
    /// Configuration file (TOML) over the defaults; environment variables BALCAO_SECTION__KEY win over both.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Creates or updates the database schema and the default roles, ticket types and contact channels.
    Migrate,
    /// Fills the database with a demo provider (resellers, staff, ~500 clients, plans, receivables, tickets).
    Seed {
        /// Required: says you want demo data in this database.
        #[arg(long)]
        demo: bool,
        /// How many demo clients.
        #[arg(long, default_value_t = 500)]
        clients: usize,
    },
    /// Imports a CSV export (comma or semicolon, UTF-8 or Windows-1252; see the README for the headers).
    Import {
        /// What the file holds.
        kind: Kind,
        /// The CSV file.
        file: PathBuf,
        /// Clients: the reseller of rows that name none (the `revenda` column may then be left out).
        #[arg(long)]
        revenda: Option<String>,
    },
    /// Staff users.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Finds and shows clients (as the provider's administrator: every reseller).
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// A client's receivables (Financeiro).
    Finance {
        /// The client's code.
        code: String,
        /// Desde: first due date, dd/mm/aaaa.
        #[arg(long, value_name = "dd/mm/aaaa")]
        from: Option<String>,
        /// Até: last due date, dd/mm/aaaa.
        #[arg(long, value_name = "dd/mm/aaaa")]
        to: Option<String>,
        /// Only receivables with a balance.
        #[arg(long)]
        open: bool,
        /// Shows one receivable in full (settlements, fine and interest to today) by its number.
        #[arg(long, value_name = "Nº")]
        detail: Option<i64>,
        /// Prints JSON.
        #[arg(long)]
        json: bool,
    },
    /// The notification outbox.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Telegram updates received by the webhook (webhook mode).
    Updates {
        #[command(subcommand)]
        command: UpdatesCommand,
    },
    /// Contacts received by intake (e-mails posted to /webhooks/email/raw).
    Intake {
        #[command(subcommand)]
        command: IntakeCommand,
    },
    /// Roles and the Telegram groups where they hear of their tickets.
    Roles {
        #[command(subcommand)]
        command: RolesCommand,
    },
    /// Runs the service: the HTTP service (/healthz) until Ctrl-C.
    Serve {
        /// Seeds the demo provider first when the database has no clients.
        #[arg(long)]
        demo: bool,
    },
    /// Checks the configuration and the database connection, and says what is set.
    CheckConfig,
}

#[derive(Subcommand)]
enum UpdatesCommand {
    /// Lists the updates set aside as failed (the person was told; the cause is in the log).
    Failed {
        /// How many, newest first.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=1000))]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum IntakeCommand {
    /// Lists the stored contacts, newest first: when, channel, sender,
    /// subject, and what became of each.
    List {
        /// Only those that failed.
        #[arg(long)]
        failed: bool,
        /// One JSON object per line instead of text.
        #[arg(long)]
        json: bool,
        /// How many.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=1000))]
        limit: i64,
    },
    /// Puts a failed or unmatched contact back to be processed again by the running service.
    Retry {
        /// The contact's number, as `intake list` shows it.
        id: i64,
    },
    /// Says where a message would go and why, by the configured rules,
    /// without storing anything: a raw e-mail (.eml) or a form's JSON.
    Route {
        /// The message's file.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum RolesCommand {
    /// Lists the roles and their Telegram groups.
    List,
    /// Sends a role's tickets to a Telegram group instead of each member
    /// privately (add the bot to the group and type /grupo there to learn its id).
    Group {
        /// The role, e.g. "Suporte N1".
        role: String,
        /// The group's chat id (negative), e.g. -1001234567890.
        #[arg(allow_negative_numbers = true)]
        chat_id: i64,
        /// Only the tickets of this reseller; without it, those of every reseller without a group of its own.
        #[arg(long)]
        reseller: Option<String>,
    },
    /// Stops sending a role's tickets to a group: its members hear of them privately again.
    Ungroup {
        /// The role.
        role: String,
        /// The reseller the group was for.
        #[arg(long)]
        reseller: Option<String>,
    },
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Lists the latest notifications, or only those that failed for good.
    List {
        /// Only the dead ones.
        #[arg(long)]
        dead: bool,
        /// How many.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=1000))]
        limit: i64,
    },
    /// Puts failed notifications back in the queue.
    Retry {
        /// The notification's number.
        #[arg(conflicts_with = "all_dead", required_unless_present = "all_dead")]
        id: Option<i64>,
        /// Every failed notification.
        #[arg(long)]
        all_dead: bool,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Disables a staff member: they lose access to the bot at once.
    Disable {
        /// The staff member's number (printed by `staff add`).
        id: i64,
    },
    /// Enables a disabled staff member again.
    Enable {
        /// The staff member's number.
        id: i64,
    },
    /// Adds a staff member; prints a one-time code to link Telegram when no id is given.
    Add {
        /// Full name.
        #[arg(long)]
        name: String,
        /// The reseller they work for.
        #[arg(long, conflicts_with = "provider", required_unless_present = "provider")]
        reseller: Option<String>,
        /// Works for the provider, across every reseller.
        #[arg(long)]
        provider: bool,
        /// Role (cargo); repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Work e-mail.
        #[arg(long)]
        email: Option<String>,
        /// Telegram user id, when known.
        #[arg(long)]
        telegram_id: Option<i64>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum By {
    Name,
    TradeName,
    City,
    Phone,
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Searches by name, trade name, city or phone (accents, case and punctuation ignored).
    Search {
        /// The field to search.
        #[arg(long, value_enum, default_value = "name")]
        by: By,
        /// What to look for (at least 3 letters, or 4 digits of a phone).
        term: String,
        /// Page, from 1.
        #[arg(long, default_value_t = 1)]
        page: usize,
        /// Results per page.
        #[arg(long, default_value_t = 20)]
        per_page: usize,
        /// Prints JSON.
        #[arg(long)]
        json: bool,
    },
    /// Shows a client's registration (Cadastro), plans and tickets.
    Show {
        /// The client's code.
        code: String,
        /// Prints JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BALCAO_LOG").unwrap_or_else(|_| "warn,balcao=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    std::panic::set_hook(Box::new(on_panic));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("erro: não foi possível iniciar: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erro: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A panic anywhere is logged once, with where it happened; the task it
/// happened in is given up and the service goes on (the bot answers the
/// person, `/healthz` reports a stopped worker). Output piped to a command
/// that stopped reading (`balcao ... | head`) ends the command quietly.
fn on_panic(info: &std::panic::PanicHookInfo<'_>) {
    let payload = info.payload();
    let fixed = payload.downcast_ref::<&'static str>().copied();
    let message = fixed.map(str::to_owned).or_else(|| payload.downcast_ref::<String>().cloned()).unwrap_or_default();
    if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
        // As a shell reports a command ended by a closed pipe.
        std::process::exit(141);
    }
    let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
    match fixed {
        // A fixed message ("attempt to add with overflow") carries no data.
        Some(message) => {
            tracing::error!(%location, panic = message, "a task panicked and was given up; the rest goes on")
        }
        // A formatted one may quote what someone typed: only at debug level.
        None => {
            tracing::error!(%location, "a task panicked and was given up; the rest goes on");
            tracing::debug!(%location, panic = %message, "the panic's message");
        }
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn date_arg(label: &str, value: Option<&str>) -> anyhow::Result<Option<chrono::NaiveDate>> {
    value.map(|v| parse_date(v).with_context(|| format!("--{label}"))).transpose()
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    if let Command::CheckConfig = cli.command {
        let app = App::open(settings.clone()).await?;
        app.db.ping().await?;
        println!("Configuração válida.");
        println!("  banco de dados: {} ({:?})", balcao::settings::redact_url(&settings.database.url), app.db.dialect());
        println!("  HTTP:           {}", settings.http.addr);
        println!("  fuso horário:   {}", settings.timezone);
        println!(
            "  Telegram:       {}",
            if settings.telegram.token.is_empty() { "sem token" } else { "token definido" }
        );
        println!("  e-mail (SMTP):  {}", if settings.smtp.url.is_empty() { "não configurado" } else { "configurado" });
        return Ok(());
    }
    let app = App::open(settings).await?;
    let admin = Actor::admin();
    match cli.command {
        Command::CheckConfig => unreachable!("handled above"),
        Command::Migrate => {
            println!("Banco de dados atualizado; cargos, tipos de atendimento e tipos de contato padrão criados.")
        }
        Command::Seed { demo, clients } => {
            if !demo {
                bail!("use `balcao seed --demo` para criar os dados de demonstração");
            }
            seed_demo(&app, clients).await?;
        }
        Command::Import { kind, file, revenda } => {
            let bytes = std::fs::read(&file).with_context(|| format!("não foi possível ler {}", file.display()))?;
            let started = std::time::Instant::now();
            let options = import::Options {
                default_reseller: revenda,
                today: chrono::Utc::now().with_timezone(&app.settings.tz()?).date_naive(),
            };
            let report = import::import_with(app.db.as_ref(), kind, &bytes, &options).await?;
            let o = &report.outcome;
            println!(
                "{}: {} linhas lidas ({}, separador '{}') em {:.1}s",
                file.display(),
                report.rows,
                report.encoding,
                report.delimiter,
                started.elapsed().as_secs_f64()
            );
            println!(
                "  criados: {}  atualizados: {}  sem alteração: {}  recusados: {}",
                o.created,
                o.updated,
                o.unchanged,
                o.refused.len()
            );
            for (line, reason) in &o.refused {
                println!("  linha {line}: {reason}");
            }
            if !report.warnings.is_empty() {
                println!("  avisos: {}", report.warnings.len());
                for (line, warning) in &report.warnings {
                    println!("  linha {line}: aviso: {warning}");
                }
            }
        }
        Command::Staff { command: StaffCommand::Add { name, reseller, provider, roles, email, telegram_id } } => {
            let added = app
                .add_staff(&NewStaff {
                    name,
                    reseller: if provider { None } else { reseller },
                    roles,
                    email,
                    telegram_id,
                })
                .await?;
            println!(
                "Usuário {} criado ({}).",
                added.staff.name,
                added.staff.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>().join(", ")
            );
            if let (Some(code), Some(expires)) = (added.invite_code, added.invite_expires_at) {
                let tz = app.settings.tz()?;
                println!(
                    "Código de convite (vale uma vez, até {}): {code}\nNo Telegram, o usuário envia ao bot: /start {code}",
                    expires.with_timezone(&tz).format("%d/%m/%Y %H:%M")
                );
            }
        }
        Command::Outbox { command: OutboxCommand::List { dead, limit } } => {
            let list = app.db.notifications(dead, limit).await?;
            if list.is_empty() {
                println!("{}", if dead { "Nenhuma notificação falhou." } else { "Nenhuma notificação." });
            }
            let tz = app.settings.tz()?;
            for n in list {
                println!(
                    "nº {} - {} - {} - {} - {} - {} tentativa(s){}",
                    n.id,
                    n.created_at.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
                    n.channel.as_str(),
                    n.status.label(),
                    n.recipient,
                    n.attempts,
                    if n.last_error.is_empty() { String::new() } else { format!(" - {}", n.last_error) }
                );
            }
        }
        Command::Outbox { command: OutboxCommand::Retry { id, all_dead } } => {
            let id = if all_dead { None } else { id.map(balcao_domain::NotificationId) };
            let n = app.db.retry_dead(id, chrono::Utc::now()).await?;
            println!("{n} notificação(ões) de volta à fila.");
        }
        Command::Updates { command: UpdatesCommand::Failed { limit } } => {
            let list = app.db.failed_updates(limit).await?;
            print!("{}", render::failed_updates(&list, app.settings.tz()?));
        }
        Command::Intake { command: IntakeCommand::List { failed, json, limit } } => {
            let list = balcao_domain::ports::Intake::deliveries(&*app.db, failed, limit).await?;
            if json {
                for d in &list {
                    println!("{}", serde_json::to_string(d)?);
                }
            } else {
                print!("{}", render::deliveries(&list, app.settings.tz()?, failed));
            }
        }
        Command::Intake { command: IntakeCommand::Retry { id } } => {
            if balcao_domain::ports::Intake::retry_delivery(&*app.db, balcao_domain::DeliveryId(id)).await? {
                println!("Contato nº {id} de volta à fila: o serviço o processa em instantes.");
            } else {
                anyhow::bail!(
                    "não há contato nº {id} que tenha falhado ou ficado sem cliente (veja balcao intake list --failed)"
                );
            }
        }
        Command::Intake { command: IntakeCommand::Route { file } } => {
            let raw = std::fs::read(&file).with_context(|| format!("não foi possível ler {}", file.display()))?;
            // A form's JSON starts with `{`; anything else is read as an e-mail.
            let form = raw.trim_ascii_start().starts_with(b"{");
            let contact = if form {
                balcao_webhooks::intake::read_contact(balcao_domain::intake::IntakeChannel::Form, &raw)
            } else {
                balcao_webhooks::intake::read_email(&raw)
            }
            .ok_or_else(|| {
                anyhow::anyhow!("{} não é uma mensagem de e-mail nem o JSON de um formulário", file.display())
            })?;
            let setup = app.settings.intake.setup()?;
            app.check_intake(&setup).await?;
            print!("{}", render::route(&contact, &setup));
        }
        Command::Roles { command } => roles_command(&app, command).await?,
        Command::Staff { command: StaffCommand::Disable { id } } => {
            let s = app.db.set_staff_active(balcao_domain::StaffId(id), false).await.map_err(staff_not_found(id))?;
            println!("Usuário nº {} ({}) desativado: perdeu o acesso ao bot.", s.id, s.name);
        }
        Command::Staff { command: StaffCommand::Enable { id } } => {
            let s = app.db.set_staff_active(balcao_domain::StaffId(id), true).await.map_err(staff_not_found(id))?;
            println!("Usuário nº {} ({}) reativado.", s.id, s.name);
        }
        Command::Clients { command: ClientsCommand::Search { by, term, page, per_page, json } } => {
            let filter = match by {
                By::Name => SearchFilter::Name,
                By::TradeName => SearchFilter::TradeName,
                By::City => SearchFilter::City,
                By::Phone => SearchFilter::Phone,
            };
            let term = SearchTerm::parse(filter, &term)?;
            let result = app.db.search(&admin, &term, page.max(1) - 1, per_page).await?;
            if json { print_json(&result)? } else { print!("{}", render::search_page(&result)) }
        }
        Command::Clients { command: ClientsCommand::Show { code, json } } => {
            let client = app.db.client_by_code(&admin, &code).await.map_err(not_found_code(&code))?;
            let subscriptions = app.db.subscriptions(&admin, client.id).await?;
            let tickets = app.db.client_tickets(&admin, client.id).await?;
            if json {
                print_json(
                    &serde_json::json!({ "client": client, "subscriptions": subscriptions, "tickets": tickets }),
                )?;
            } else {
                print!("{}", render::client_card(&client, &subscriptions, admin.sees_documents));
                println!("\nAtendimentos");
                if tickets.is_empty() {
                    println!("  Nenhum atendimento.");
                }
                for t in &tickets {
                    println!("  {}", render::ticket_line(t));
                }
            }
        }
        Command::Finance { code, from, to, open, detail, json } => {
            let client = app.db.client_by_code(&admin, &code).await.map_err(not_found_code(&code))?;
            let today = app.today();
            if let Some(id) = detail {
                let (receivable, settlements) = app.db.receivable(&admin, ReceivableId(id)).await?;
                if receivable.client_id != client.id {
                    bail!("o débito {id} não é do cliente {code}");
                }
                let d = ReceivableDetail::build(receivable, settlements, &app.settings.fee_policy(), today)?;
                if json { print_json(&d)? } else { print!("{}", render::receivable_detail(&d)) }
            } else {
                let period = Period {
                    from: date_arg("from", from.as_deref())?,
                    to: date_arg("to", to.as_deref())?,
                    open_only: open,
                };
                let receivables = app.db.receivables(&admin, client.id, &period).await?;
                let s = Statement::build(period, receivables, today)?;
                if json {
                    print_json(&s)?
                } else {
                    println!("Cliente {} - {}", client.code, client.name);
                    print!("{}", render::statement(&s));
                }
            }
        }
        Command::Serve { demo } => {
            if demo && app.db.count(balcao_storage::Counted::Clients).await? == 0 {
                seed_demo(&app, 500).await?;
            }
            let addr = app.settings.http_addr()?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("http.addr: não foi possível escutar em {addr}"))?;
            // Said only once the port is open, so whoever waits for it can connect.
            println!("balcão no ar: http://{}/healthz (Ctrl-C para parar)", listener.local_addr()?);
            app.serve_on(listener, async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        }
    }
    Ok(())
}

fn staff_not_found(id: i64) -> impl FnOnce(DomainError) -> anyhow::Error {
    move |e| match e {
        DomainError::NotFound(_) => anyhow::anyhow!("usuário nº {id} não encontrado"),
        other => other.into(),
    }
}

fn not_found_code(code: &str) -> impl FnOnce(DomainError) -> anyhow::Error + '_ {
    move |e| match e {
        DomainError::NotFound(_) => anyhow::anyhow!("cliente de código {code} não encontrado"),
        other => other.into(),
    }
}

async fn seed_demo(app: &App, clients: usize) -> anyhow::Result<()> {
    let s = seed::demo(app, clients).await?;
    println!(
        "Dados de demonstração: {} clientes, {} planos de clientes, {} débitos e {} atendimentos criados.",
        s.clients, s.subscriptions, s.receivables, s.tickets
    );
    for (name, role, code) in &s.staff {
        match code {
            Some(code) => println!("  {name} ({role}): código de convite {code}"),
            None => println!("  {name} ({role})"),
        }
    }
    Ok(())
}

/// `balcao roles ...`.
async fn roles_command(app: &App, command: RolesCommand) -> anyhow::Result<()> {
    let roles = app.db.roles().await?;
    let role_named = |name: &str| {
        let key = balcao_domain::text::search_key(name);
        roles.iter().find(|r| balcao_domain::text::search_key(&r.name) == key).cloned().ok_or_else(|| {
            let known: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
            anyhow::anyhow!("cargo \"{name}\" não existe; os cargos são: {}", known.join(", "))
        })
    };
    let reseller_named = async |name: Option<String>| -> anyhow::Result<Option<balcao_domain::staff::Reseller>> {
        match name {
            None => Ok(None),
            Some(name) => match app.db.reseller_by_name(&name).await? {
                Some(r) => Ok(Some(r)),
                None => anyhow::bail!("revenda \"{name}\" não existe"),
            },
        }
    };
    match command {
        RolesCommand::List => {
            let groups = app.db.role_groups().await?;
            for role in &roles {
                println!("{}", role.name);
                for g in groups.iter().filter(|g| g.role == role.id) {
                    let scope = g
                        .reseller_name
                        .as_deref()
                        .map_or("todas as revendas sem grupo próprio".to_owned(), |r| format!("revenda {r}"));
                    println!("  grupo {} ({scope})", g.chat_id);
                }
            }
        }
        RolesCommand::Group { role, chat_id, reseller } => {
            let role = role_named(&role)?;
            let reseller = reseller_named(reseller).await?;
            let g = app.db.set_role_group(role.id, reseller.as_ref().map(|r| r.id), chat_id).await?;
            let scope = g
                .reseller_name
                .map_or("de todas as revendas sem grupo próprio".to_owned(), |r| format!("da revenda {r}"));
            println!("Os atendimentos do cargo {} {scope} vão para o grupo {}.", g.role_name, g.chat_id);
            let who = if g.reseller.is_some() {
                "só a equipe desse cargo e dessa revenda"
            } else {
                "só a equipe do provedor (ele recebe clientes de várias revendas)"
            };
            println!("Quem estiver no grupo lê o nome do cliente e o problema: deixe nele {who}.");
        }
        RolesCommand::Ungroup { role, reseller } => {
            let role = role_named(&role)?;
            let reseller = reseller_named(reseller).await?;
            let scope = reseller
                .as_ref()
                .map_or("das revendas sem grupo próprio".to_owned(), |r| format!("da revenda {}", r.name));
            if !app.db.remove_role_group(role.id, reseller.as_ref().map(|r| r.id)).await? {
                println!("O cargo {} não tinha grupo para os atendimentos {scope}.", role.name);
                return Ok(());
            }
            let fallback = app.db.role_groups().await?.into_iter().find(|g| g.role == role.id && g.reseller.is_none());
            match fallback {
                Some(g) if reseller.is_some() => println!(
                    "Os atendimentos do cargo {} {scope} passam para o grupo {} (de todas as revendas sem grupo próprio).",
                    role.name, g.chat_id
                ),
                _ => println!("Os membros do cargo {} voltam a receber no privado os atendimentos {scope}.", role.name),
            }
        }
    }
    Ok(())
}
