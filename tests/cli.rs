//! The `balcao` binary as a newcomer uses it: importing providers' exports
//! with broken rows, then searching, showing and reading the finance of what
//! was imported, on a fresh SQLite file (and, for the dirty exports, on
//! PostgreSQL too when `BALCAO_TEST_POSTGRES_URL` is set).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use balcao_domain::ports::Directory;
use support::db::{Store, TestDb};

struct Workdir(PathBuf, Option<String>);

impl Workdir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("balcao-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Workdir(dir, None)
    }

    /// A folder whose `balcao` runs use the database at `url`.
    fn with_database(name: &str, url: &str) -> Self {
        let mut w = Workdir::new(name);
        w.1 = Some(url.to_owned());
        w
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Runs `balcao ARGS` in this folder; returns (success, stdout, stderr).
    fn balcao(&self, args: &[&str]) -> (bool, String, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_balcao"));
        command.args(args).current_dir(&self.0).env_remove("BALCAO_DATABASE__URL").env("BALCAO_LOG", "error");
        if let Some(url) = &self.1 {
            command.env("BALCAO_DATABASE__URL", url);
        }
        let out = command.output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The folder's SQLite database, as the command line opens it.
    async fn db(&self) -> balcao_storage::Db {
        balcao_storage::Db::connect(&format!("sqlite:{}", self.0.join("balcao.db").display()), 1).await.unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.balcao(args);
        assert!(ok, "balcao {args:?} failed:\n{out}\n{err}");
        out
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn latin1(text: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(text).0.into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

const CLIENTS: &str = "\
Código;Revenda;Nome;Nome Fantasia;CPF/CNPJ;Cidade;UF;Telefones;E-mails;Endereço;Número;Bairro;CEP
1001;Litoral Net;Maria da Conceição Souza;;529.982.247-25;São José dos Campos;SP;(12) 98765-4321 / (12) 3456-7890;maria@exemplo.com.br;Rua das Flores;12;Centro;12245-000
1002;Litoral Net;João Pedro Araújo;;123.456.789-00;Santos;SP;(13) 99876-5432;;Av. Ana Costa;400;Gonzaga;11060-000
1003;Serra Fibra;Padaria Pão Quente Ltda;Pão Quente;11.222.333/0001-81;Campos do Jordão;SP;12 3662-1234;contato@paoquente.example.com;Rua Djalma Forjaz;88;Capivari;12460-000
1004;Serra Fibra;;Sem Nome;;Campos do Jordão;SP;;;;;;
1005;Serra Fibra;José Simões;;;Taubaté;XX;;;;;;
1006;Litoral Net;Antônia Assunção;;;Ubatuba;SP;98765-4321;;;;;
";

#[test]
fn import_reports_each_broken_row_and_keeps_the_rest() {
    let w = Workdir::new("import");
    let file = w.write("clientes.csv", &latin1(CLIENTS));
    let out = w.ok(&["import", "clients", path(&file)]);
    assert!(out.contains("6 linhas lidas (windows-1252, separador ';')"), "{out}");
    assert!(out.contains("criados: 5  atualizados: 0  sem alteração: 0  recusados: 1"), "{out}");
    assert!(out.contains("linha 3: aviso: CPF/CNPJ: CPF inválido"), "{out}");
    assert!(out.contains("linha 5: informe o nome do cliente"), "{out}");
    assert!(out.contains("linha 6: aviso: UF \"XX\": UF inválida"), "{out}");
    assert!(out.contains("linha 7: aviso: Telefone \"98765-4321\": informe o telefone com DDD"), "{out}");

    // The same file again changes nothing.
    let again = w.ok(&["import", "clients", path(&file)]);
    assert!(again.contains("criados: 0  atualizados: 0  sem alteração: 5  recusados: 1"), "{again}");

    // What was imported is found the way staff type it.
    let found = w.ok(&["clients", "search", "conceicao"]);
    assert!(found.contains("Maria da Conceição Souza") && found.contains("1 cliente encontrado"), "{found}");
    let by_trade = w.ok(&["clients", "search", "--by", "trade-name", "pao quente"]);
    assert!(by_trade.contains("Padaria Pão Quente Ltda"), "{by_trade}");
    for phone in ["(12) 98765-4321", "12987654321", "987654321", "98765-4321", "+55 12 98765 4321", "3456-7890"] {
        let out = w.ok(&["clients", "search", "--by", "phone", phone]);
        assert!(out.contains("Maria da Conceição Souza"), "{phone}: {out}");
    }
    let (ok, _, err) = w.balcao(&["clients", "search", "ma"]);
    assert!(!ok && err.contains("digite pelo menos 3 letras"), "{err}");

    let card = w.ok(&["clients", "show", "1003"]);
    assert!(card.contains("Pessoa jurídica") && card.contains("11.222.333/0001-81"), "{card}");
    let (ok, _, err) = w.balcao(&["clients", "show", "9999"]);
    assert!(!ok && err.contains("cliente de código 9999 não encontrado"), "{err}");
}

#[test]
fn subscriptions_and_receivables_import_and_show_in_finance() {
    let w = Workdir::new("finance");
    let clients = w.write("clientes.csv", CLIENTS.as_bytes());
    w.ok(&["import", "clients", path(&clients)]);
    let subs = w.write(
        "planos.csv",
        b"cliente_codigo,plano,valor,forma_cobranca,dia_vencimento,vendedor,ponto_roteamento\n\
          1001,Fibra 300 Mega,\"99,90\",Boleto,10,Rafael,POP Centro\n\
          1003,Empresarial 500,\"249,90\",PIX,5,,\n\
          1001,Fibra 300 Mega,\"99,90\",cheque,10,,\n\
          7777,Fibra 300 Mega,\"99,90\",Boleto,10,,\n",
    );
    let out = w.ok(&["import", "subscriptions", path(&subs)]);
    assert!(out.contains("criados: 2  atualizados: 0  sem alteração: 0  recusados: 2"), "{out}");
    assert!(out.contains("linha 4: forma de cobrança desconhecida \"cheque\""), "{out}");
    assert!(out.contains("linha 5: cliente de código \"7777\" não encontrado"), "{out}");

    let receivables = w.write(
        "contas.csv",
        &latin1(
            "cliente_codigo;vencimento;historico;valor;data_baixa;valor_pago\n\
             1001;10/09/2026;Mensalidade Fibra 300 Mega - 09/2026;99,90;10/09/2026;99,90\n\
             1001;10/10/2026;Mensalidade Fibra 300 Mega - 10/2026;99,90;;\n\
             1001;10/11/2026;Mensalidade Fibra 300 Mega - 11/2026;99,90;12/11/2026;40,00\n\
             1001;31/02/2026;Mensalidade inválida;99,90;;\n\
             1001;10/12/2026;Mensalidade Fibra 300 Mega - 12/2026;abc;;\n",
        ),
    );
    let out = w.ok(&["import", "receivables", path(&receivables)]);
    assert!(out.contains("criados: 3  atualizados: 0  sem alteração: 0  recusados: 2"), "{out}");
    assert!(out.contains("linha 5: vencimento: data inexistente"), "{out}");
    assert!(out.contains("linha 6: valor: valor inválido"), "{out}");

    let card = w.ok(&["clients", "show", "1001"]);
    assert!(card.contains("Fibra 300 Mega - R$ 99,90/mês - Boleto - vence dia 10"), "{card}");
    assert!(card.contains("Vendedor: Rafael") && card.contains("Ponto: POP Centro"), "{card}");

    let fin = w.ok(&["finance", "1001", "--from", "01/09/2026", "--to", "30/11/2026"]);
    assert!(fin.contains("Desde 01/09/2026 Até 30/11/2026"), "{fin}");
    assert!(fin.contains("Total lançado: R$ 299,70"), "{fin}");
    assert!(fin.contains("Saldo: R$ 159,80"), "{fin}");
    let open = w.ok(&["finance", "1001", "--open", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&open).unwrap();
    assert_eq!(v["lines"].as_array().unwrap().len(), 2, "{open}");
    let id = v["lines"][0]["receivable"]["id"].as_i64().unwrap();
    let detail = w.ok(&["finance", "1001", "--detail", &id.to_string()]);
    assert!(detail.contains("Multa:") && detail.contains("Valor atualizado em"), "{detail}");

    let (ok, _, err) = w.balcao(&["finance", "1001", "--from", "31/02/2026"]);
    assert!(!ok && err.contains("data inexistente"), "{err}");
}

#[test]
fn amounts_beyond_the_limit_are_refused_and_stored_ones_cannot_crash_finance() {
    let w = Workdir::new("limit");
    let clients = w.write("clientes.csv", CLIENTS.as_bytes());
    w.ok(&["import", "clients", path(&clients)]);
    let receivables = w.write(
        "contas.csv",
        b"cliente_codigo;vencimento;historico;valor;data_baixa;valor_pago\n\
          1001;10/09/2026;Mensalidade 09/2026;92233720368547758,07;;\n\
          1001;10/10/2026;Mensalidade 10/2026;92233720368547758,07;;\n\
          1001;10/11/2026;Mensalidade 11/2026;99,90;;\n",
    );
    let out = w.ok(&["import", "receivables", path(&receivables)]);
    assert!(out.contains("criados: 1  atualizados: 0  sem alteração: 0  recusados: 2"), "{out}");
    assert!(
        out.contains("linha 2: valor: valor \"92233720368547758,07\" acima do limite de R$ 99.999.999,99"),
        "{out}"
    );

    // What an import accepted before amounts were bounded.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let db = w.db().await;
        sqlx::query(
            "UPDATE receivables SET amount_cents = 9223372036854775807 WHERE client_id = \
             (SELECT id FROM clients WHERE code = '1001')",
        )
        .execute(db.pool())
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO receivables (client_id, due_date, description, amount_cents, paid_cents, created_at) \
             SELECT id, '2026-12-10', 'Outra', 9223372036854775807, 0, '2026-01-01T00:00:00Z' FROM clients \
             WHERE code = '1001'",
        )
        .execute(db.pool())
        .await
        .unwrap();
        db.close().await;
    });
    let (ok, out, err) = w.balcao(&["finance", "1001"]);
    assert!(!ok, "{out}");
    assert!(err.contains("passam do limite de R$ 99.999.999,99") && !err.contains("panicked"), "{err}");
}

#[test]
fn a_listing_piped_into_a_command_that_stops_reading_ends_quietly() {
    let w = Workdir::new("pipe");
    let clients = w.write("clientes.csv", CLIENTS.as_bytes());
    w.ok(&["import", "clients", path(&clients)]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_balcao"))
        .args(["outbox", "list", "--limit", "1000"])
        .current_dir(&w.0)
        .env_remove("BALCAO_DATABASE__URL")
        .env("BALCAO_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before anything is read, like `| head -0`.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "as a shell reports a closed pipe: {err}");
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
}

#[test]
fn intake_lists_what_it_received_as_text_and_as_json() {
    let w = Workdir::new("intake");
    w.ok(&["migrate"]);
    assert!(w.ok(&["intake", "list"]).contains("Nenhum contato recebido."));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use balcao_domain::intake::{IntakeChannel, NewDelivery};
        use balcao_domain::ports::Intake;
        let db = w.db().await;
        let new = NewDelivery {
            key: "message-id:a@b.test".into(),
            channel: IntakeChannel::Email,
            raw: b"From: Ana <ana@cliente.test>\r\nSubject: Sem conex\xe3o\r\n\r\noi".to_vec(),
            sender: "ana@cliente.test".into(),
            subject: "Sem conexão".into(),
            rejected: None,
        };
        db.store_delivery(&new, chrono::Utc::now()).await.unwrap();
        db.close().await;
    });
    let out = w.ok(&["intake", "list"]);
    assert!(
        out.starts_with("nº 1 - ") && out.contains(" - E-mail - ana@cliente.test - \"Sem conexão\" - aguardando"),
        "{out}"
    );
    let json: serde_json::Value = serde_json::from_str(w.ok(&["intake", "list", "--json"]).trim()).unwrap();
    assert_eq!(
        (json["id"].as_i64(), json["status"].as_str(), json["size"].as_i64()),
        (Some(1), Some("pending"), Some(56))
    );
    assert!(w.ok(&["intake", "list", "--failed"]).contains("Nenhum contato falhou nem ficou sem cliente."));
    let (ok, _, err) = w.balcao(&["intake", "retry", "1"]);
    assert!(!ok && err.contains("não há contato nº 1 que tenha falhado"), "a waiting one is not failed: {err}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use balcao_domain::ports::Intake;
        let db = w.db().await;
        db.fail_delivery(balcao_domain::DeliveryId(1), "nenhum cliente tem este e-mail no cadastro").await.unwrap();
        db.close().await;
    });
    let out = w.ok(&["intake", "list", "--failed"]);
    assert!(out.contains("falhou: nenhum cliente tem este e-mail no cadastro"), "{out}");
    assert!(w.ok(&["intake", "retry", "1"]).contains("Contato nº 1 de volta à fila"));
    assert!(w.ok(&["intake", "list"]).contains("aguardando"));
}

#[test]
fn intake_route_says_which_rule_a_message_takes_and_a_rule_naming_nobody_stops_the_start() {
    let w = Workdir::new("route");
    w.ok(&["migrate"]);
    let rules = "[[intake.rules]]\nname = \"financeiro\"\nto = [\"financeiro@litoral.test\"]\nrole = \"Financeiro\"\n\
[[intake.rules]]\nname = \"lentidao\"\nwords = [\"lenta\", \"lentidão\"]\nrole = \"Suporte N2\"\nticket_type = \"Lentidão\"\n";
    let config = w.write("balcao.toml", rules.as_bytes());
    let mail = w.write(
        "lenta.eml",
        &latin1("From: Ana <ana@cliente.test>\r\nTo: suporte@litoral.test\r\nSubject: Internet LENTA\r\n\r\nDesde ontem.\r\n"),
    );
    let (ok, out, err) = w.balcao(&["--config", path(&config), "intake", "route", path(&mail)]);
    assert!(ok, "{err}");
    assert!(out.contains("Regra: \"lentidao\" (\"lenta\" aparece no assunto ou no texto)"), "{out}");
    assert!(out.contains("Vai para: cargo \"Suporte N2\"") && out.contains("Tipo de atendimento: Lentidão"), "{out}");
    let form = w.write("form.json", br#"{"nome":"Ana","email":"ana@cliente.test","mensagem":"Quero mudar de plano."}"#);
    let out = w.ok(&["--config", path(&config), "intake", "route", path(&form)]);
    assert!(out.contains("Regra: nenhuma (nenhuma regra se aplica") && out.contains("cargo \"Suporte N1\""), "{out}");
    let bounce = w.write("bounce.eml", b"From: MAILER-DAEMON@mx.test\r\nSubject: Undelivered\r\n\r\nx\r\n");
    assert!(w.ok(&["intake", "route", path(&bounce)]).contains("Não abre atendimento nem recebe resposta"));
    let junk = w.write("notas.txt", b"lista de compras, nada de e-mail\n");
    let (ok, _, err) = w.balcao(&["intake", "route", path(&junk)]);
    assert!(!ok && err.contains("não é uma mensagem de e-mail nem o JSON de um formulário"), "{err}");
    // A rule naming a role nobody has, or a user who does not exist: the error names the rule.
    let broken = w.write(
        "broken.toml",
        b"[[intake.rules]]\nname = \"cobranca\"\nwords = [\"boleto\"]\nuser = \"Fulano de Tal\"\n",
    );
    let (ok, _, err) = w.balcao(&["--config", path(&broken), "intake", "route", path(&mail)]);
    assert!(!ok && err.contains("intake.rules \"cobranca\": não há usuário ativo chamado \"Fulano de Tal\""), "{err}");
    let both = w.write("both.toml", b"[[intake.rules]]\nname = \"dupla\"\nrole = \"Financeiro\"\nuser = \"Ana\"\n");
    let (ok, _, err) = w.balcao(&["--config", path(&both), "check-config"]);
    assert!(!ok && err.contains("intake.rules \"dupla\""), "{err}");
}

#[test]
fn failed_telegram_updates_are_listed_for_the_operator() {
    let w = Workdir::new("updates");
    w.ok(&["migrate"]);
    assert!(w.ok(&["updates", "failed"]).contains("Nenhuma atualização do Telegram falhou."));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use balcao_domain::ports::UpdateInbox;
        let db = w.db().await;
        db.store_update(77, Some(5001), "{}").await.unwrap();
        db.fail_update(77, chrono::Utc::now(), "pânico ao tratar (o ponto está no log)").await.unwrap();
        db.close().await;
    });
    let out = w.ok(&["updates", "failed"]);
    assert!(
        out.contains("atualização 77 - recebida ") && out.contains(" - 0 tentativa(s) - pânico ao tratar"),
        "{out}"
    );
}

#[test]
fn bad_configuration_names_the_key() {
    let w = Workdir::new("config");
    let out = Command::new(env!("CARGO_BIN_EXE_balcao"))
        .args(["check-config"])
        .current_dir(&w.0)
        .env("BALCAO_TIMEZONE", "Marte/Olympus")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("timezone: fuso horário desconhecido"), "{err}");
    let ok = w.ok(&["check-config"]);
    assert!(ok.contains("Configuração válida") && ok.contains("Sqlite"), "{ok}");
}

#[test]
fn serve_with_demo_data_answers_health_over_http_and_stops_on_ctrl_c() {
    use std::io::BufRead;
    let w = Workdir::new("serve");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_balcao"))
        .args(["serve", "--demo"])
        .current_dir(&w.0)
        .env("BALCAO_HTTP__ADDR", &addr)
        .env("BALCAO_LOG", "error")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !seen.iter().any(|l: &String| l.starts_with("balcão no ar")) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("the service did not start in time; it printed: {seen:#?}");
            }
        }
    }
    assert!(seen.iter().any(|l| l.contains("500 clientes")), "{seen:#?}");
    assert!(seen.iter().any(|l| l.contains("código de convite")), "{seen:#?}");
    let (status, body) = support::http::get(&addr, "/healthz");
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok","workers":{}}"#));
    let (status, body) = support::http::get(&addr, "/nada");
    assert_eq!(status, 404);
    assert!(body.contains("rota não encontrada"), "{body}");
    // Ctrl-C stops it cleanly.
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    // The demo data is there for the CLI too.
    let found = w.ok(&["clients", "search", "--by", "city", "sao jose"]);
    assert!(found.contains("São José dos Campos"), "{found}");
}

#[test]
fn a_role_s_tickets_go_to_a_telegram_group_set_from_the_command_line() {
    let w = Workdir::new("roles");
    w.ok(&["migrate"]);
    w.ok(&["import", "clients", path(&w.write("clientes.csv", CLIENTS.as_bytes()))]);
    let out = w.ok(&["roles", "group", "suporte n1", "-1001234567890", "--reseller", "Litoral Net"]);
    assert!(out.contains("Suporte N1 da revenda Litoral Net vão para o grupo -1001234567890"), "{out}");
    let out = w.ok(&["roles", "group", "Suporte N1", "-1009"]);
    assert!(out.contains("de todas as revendas sem grupo próprio"), "{out}");
    assert!(out.contains("deixe nele só a equipe do provedor"), "{out}");
    let list = w.ok(&["roles", "list"]);
    assert!(list.contains("grupo -1001234567890 (revenda Litoral Net)"), "{list}");
    assert!(list.contains("grupo -1009 (todas as revendas sem grupo próprio)"), "{list}");

    let (ok, _, err) = w.balcao(&["roles", "group", "Telepatia", "-1009"]);
    assert!(
        !ok && err.contains("cargo \"Telepatia\" não existe; os cargos são:") && err.contains("Suporte N1"),
        "{err}"
    );
    let (ok, _, err) = w.balcao(&["roles", "group", "Suporte N1", "1009"]);
    assert!(!ok && err.contains("id de um grupo do Telegram é negativo"), "{err}");
    let (ok, _, err) = w.balcao(&["roles", "group", "Suporte N1", "-1009", "--reseller", "Ninguém"]);
    assert!(!ok && err.contains("revenda \"Ninguém\" não existe"), "{err}");

    let out = w.ok(&["roles", "ungroup", "Suporte N1", "--reseller", "Litoral Net"]);
    assert!(out.contains("da revenda Litoral Net passam para o grupo -1009"), "{out}");
    let list = w.ok(&["roles", "list"]);
    assert!(!list.contains("-1001234567890") && list.contains("-1009"), "{list}");
    let out = w.ok(&["roles", "ungroup", "Suporte N1"]);
    assert!(out.contains("voltam a receber no privado os atendimentos das revendas sem grupo próprio"), "{out}");
    let out = w.ok(&["roles", "ungroup", "Suporte N1"]);
    assert!(out.contains("não tinha grupo"), "{out}");
}

/// A folder and a fresh database on `store`; `None` when the store is not
/// available here.
async fn on_store(name: &str, store: Store) -> (Workdir, TestDb) {
    let db = TestDb::new(store).await.expect("the store is available");
    let w = Workdir::with_database(&format!("{name}-{store:?}"), &db.url);
    (w, db)
}

/// The names of the resellers in the database at `url`.
async fn reseller_names(url: &str) -> Vec<String> {
    let db = balcao_storage::Db::connect(url, 1).await.expect("the database opens");
    let names = db.resellers().await.expect("resellers are listed").into_iter().map(|r| r.name).collect();
    db.close().await;
    names
}

const DIRTY: &str = "\
codigo;revenda;nome;nome_fantasia;cpf_cnpj;cidade;uf;telefones;emails;cep;data_nascimento
2001;Litoral Net;Maria da Conceição Souza;;529.982.247-25;Santos;SP;(12) 98765-4321 / (20) 98765-4321;maria@exemplo.com.br;11060-000;01/01/80
2002;Litoral Net;João Pedro Araújo;;4700939192;São Paulo;São Paulo;98765-4321;sem email;1310100;
2003;Litoral Net;Ana Lima;;;Santos;SP;ramal 21;-;;
2004;Litoral Net;Bia Souza;;;Santos;SP;WhatsApp;não tem;;
2005;Litoral Net;Caio Prado;;;Santos;SP;não tem;caio@;;
2006;Litoral Net;Davi Reis;;529.982.247-24;Santos;SP;-;;;
";

async fn dirty_contact_values_are_kept_aside_and_every_client_is_imported(store: Store) {
    let (w, db) = on_store("dirty", store).await;
    let file = w.write("clientes.csv", DIRTY.as_bytes());
    let out = w.ok(&["import", "clients", path(&file)]);
    assert!(out.contains("6 linhas lidas (UTF-8, separador ';')"), "{out}");
    assert!(out.contains("criados: 6  atualizados: 0  sem alteração: 0  recusados: 0"), "{out}");
    // "não tem", "-" and "sem email" say there is none: nothing to warn about.
    assert!(out.contains("avisos: 6"), "{out}");
    for warning in [
        "linha 2: aviso: Telefone \"(20) 98765-4321\": DDD 20 não existe; guardado como não verificado",
        "linha 3: aviso: Telefone \"98765-4321\": informe o telefone com DDD",
        "linha 4: aviso: Telefone \"ramal 21\": ramal sem o número do telefone",
        "linha 5: aviso: Telefone \"WhatsApp\": não é um número de telefone",
        "linha 6: aviso: E-mail \"caio@\": e-mail inválido",
        "linha 7: aviso: CPF/CNPJ: CPF inválido: os dígitos verificadores não conferem",
    ] {
        assert!(out.contains(warning), "{warning}\n{out}");
    }
    assert!(!out.contains("529.982.247-24"), "a CPF is not printed in warnings: {out}");

    let maria = w.ok(&["clients", "show", "2001"]);
    assert!(maria.contains("Telefones:      (12) 98765-4321\n"), "{maria}");
    assert!(maria.contains("Telefone (não verificado): (20) 98765-4321"), "{maria}");
    assert!(maria.contains("Nascimento:     01/01/1980"), "{maria}");
    let joao = w.ok(&["clients", "show", "2002"]);
    assert!(joao.contains("CPF/CNPJ:       047.009.391-92"), "the leading zero is back: {joao}");
    assert!(joao.contains("São Paulo/SP - CEP 01310-100"), "{joao}");
    assert!(joao.contains("Telefone (não verificado): 98765-4321"), "{joao}");
    assert!(!joao.contains("E-mail"), "{joao}");
    let davi = w.ok(&["clients", "show", "2006"]);
    assert!(davi.contains("CPF/CNPJ (não verificado): 529.982.247-24"), "{davi}");
    assert!(!davi.contains("Telefone"), "{davi}");

    let again = w.ok(&["import", "clients", path(&file)]);
    assert!(again.contains("criados: 0  atualizados: 0  sem alteração: 6  recusados: 0"), "{again}");
    db.drop_it().await;
}

async fn an_unbalanced_quote_refuses_its_line_and_the_rest_of_the_file_imports(store: Store) {
    let (w, db) = on_store("quote", store).await;
    let file = w.write(
        "clientes.csv",
        "codigo;revenda;nome;nome_fantasia;cpf_cnpj;cidade;uf;telefones;emails\n\
         3001;Litoral Net;Ana Lima;;;Santos;SP;;\n\
         3002;\"Serra Fibra;Bia Souza;;;Campos;SP;;\n\
         3003;Litoral Net;Caio Prado;;;Santos;SP;;\n\
         3004;Litoral Net;Davi Reis;;;Santos;SP;;\n\
         3005;Vale Net;Eva Dias;;;Taubaté;SP;;\n\
         3006;Litoral Net;Hugo Lima;;;Santos;SP;\n\
         3007;Litoral Net;Fábio Melo;;;Santos;SP;;\n"
            .as_bytes(),
    );
    let out = w.ok(&["import", "clients", path(&file)]);
    assert!(out.contains("7 linhas lidas"), "{out}");
    assert!(out.contains("criados: 5  atualizados: 0  sem alteração: 0  recusados: 2"), "{out}");
    assert!(out.contains("linha 3: aspas sem fechamento"), "{out}");
    assert!(out.contains("linha 7: a linha tem 8 campos e o cabeçalho tem 9"), "{out}");
    for code in ["3001", "3003", "3004", "3005", "3007"] {
        w.ok(&["clients", "show", code]);
    }
    let mut resellers = reseller_names(&db.url).await;
    resellers.sort();
    assert_eq!(resellers, ["Litoral Net", "Vale Net"], "nothing of the refused lines is written");
    db.drop_it().await;
}

async fn a_refused_row_creates_no_reseller(store: Store) {
    let (w, db) = on_store("refused", store).await;
    let file = w.write(
        "clientes.csv",
        b"codigo;revenda;nome;nome_fantasia;cpf_cnpj;cidade;uf;telefones;emails\n\
          4001;Litoral Net;Ana Lima;;;;;;\n\
          4002;Revenda Fantasma;X;;;;;;\n",
    );
    let out = w.ok(&["import", "clients", path(&file)]);
    assert!(out.contains("criados: 1  atualizados: 0  sem alteração: 0  recusados: 1"), "{out}");
    assert!(out.contains("linha 3: informe o nome do cliente"), "{out}");
    assert_eq!(reseller_names(&db.url).await, ["Litoral Net"]);
    db.drop_it().await;
}

async fn a_utf8_file_with_a_few_latin1_bytes_stays_utf8_and_those_lines_are_repaired(store: Store) {
    let (w, db) = on_store("mixed", store).await;
    let mut bytes = "codigo;revenda;nome;nome_fantasia;cpf_cnpj;cidade;uf;telefones;emails\n\
                     6001;Litoral Net;João Pedro;;;São Paulo;SP;;\n"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(&latin1("6002;Litoral Net;José Simões;;;Taubaté;SP;;\n"));
    bytes.extend_from_slice("6003;Litoral Net;Conceição Araújo;;;Jaú;SP;;\n".as_bytes());
    let file = w.write("clientes.csv", &bytes);
    let out = w.ok(&["import", "clients", path(&file)]);
    assert!(out.contains("3 linhas lidas (UTF-8, separador ';')"), "{out}");
    assert!(out.contains("criados: 3"), "{out}");
    assert!(out.contains("linha 3: aviso: caracteres fora do UTF-8 lidos como Windows-1252"), "{out}");
    assert!(w.ok(&["clients", "show", "6001"]).contains("Cliente 6001 - João Pedro\n"));
    let jose = w.ok(&["clients", "show", "6002"]);
    assert!(jose.contains("Cliente 6002 - José Simões\n") && jose.contains("Taubaté"), "{jose}");
    assert!(w.ok(&["clients", "show", "6003"]).contains("Conceição Araújo"));
    db.drop_it().await;
}

async fn cells_beyond_the_header_are_reported(store: Store) {
    let (w, db) = on_store("extra", store).await;
    let file = w.write(
        "clientes.csv",
        b"codigo;revenda;nome;nome_fantasia;cpf_cnpj;cidade;uf;telefones;emails\n\
          7001;Litoral Net;Ana Lima;;;Santos;SP;;;sobrou;\n\
          7002;Litoral Net;Bia Lima;;;Santos;SP;;;\n",
    );
    let out = w.ok(&["import", "clients", path(&file)]);
    assert!(out.contains("criados: 2"), "{out}");
    assert!(out.contains("avisos: 1"), "an empty cell beyond the header is no news: {out}");
    assert!(out.contains("linha 2: aviso: 1 célula(s) além do cabeçalho não foram importadas: \"sobrou\""), "{out}");
    db.drop_it().await;
}

async fn nul_bytes_are_removed_and_the_rows_import_on_every_store(store: Store) {
    let (w, db) = on_store("nul", store).await;
    let file = w.write(
        "clientes.csv",
        b"codigo;revenda;nome;nome_fantasia;cpf_cnpj;cidade;uf;telefones;emails\n\
          8001;Litoral Net;Ana\0 Lima;;;San\0tos;SP;;\n\
          8002;Litoral\0 Net;Bia Lima;;;Santos;SP;;\n",
    );
    let out = w.ok(&["import", "clients", path(&file)]);
    assert!(out.contains("criados: 2  atualizados: 0  sem alteração: 0  recusados: 0"), "{out}");
    assert!(out.contains("linha 2: aviso: 3 caracteres nulos removidos, em 2 linha(s) a partir desta"), "{out}");
    let ana = w.ok(&["clients", "show", "8001"]);
    assert!(ana.contains("Cliente 8001 - Ana Lima\n") && ana.contains("Endereço:       Santos/SP\n"), "{ana}");
    assert_eq!(reseller_names(&db.url).await, ["Litoral Net"]);
    db.drop_it().await;
}

async fn a_code_repeated_in_a_file_counts_once_and_a_reimport_changes_nothing(store: Store) {
    let (w, db) = on_store("repeated", store).await;
    let file = w.write(
        "clientes.csv",
        b"codigo;revenda;nome;nome_fantasia;cpf_cnpj;cidade;uf;telefones;emails\n\
          9001;Litoral Net;Ana Lima;;;Santos;SP;(12) 98765-4321;\n\
          9001;Litoral Net;Ana Lima;;;Santos;SP;(13) 99876-5432;\n",
    );
    let out = w.ok(&["import", "clients", path(&file)]);
    assert!(out.contains("criados: 1  atualizados: 0  sem alteração: 0  recusados: 0"), "{out}");
    assert!(out.contains("linha 2: aviso: a linha 3 repete esta chave e foi a importada"), "{out}");
    assert!(w.ok(&["clients", "show", "9001"]).contains("(13) 99876-5432"));
    let again = w.ok(&["import", "clients", path(&file)]);
    assert!(again.contains("criados: 0  atualizados: 0  sem alteração: 1  recusados: 0"), "{again}");

    let receivables = w.write(
        "contas.csv",
        "cliente_codigo;vencimento;historico;valor\n\
         9001;10/09/2026;Mensalidade;99,90\n\
         9001;10/09/2026;mensalidade;89,90\n"
            .as_bytes(),
    );
    let out = w.ok(&["import", "receivables", path(&receivables)]);
    assert!(out.contains("criados: 1  atualizados: 0  sem alteração: 0  recusados: 0"), "{out}");
    let again = w.ok(&["import", "receivables", path(&receivables)]);
    assert!(again.contains("criados: 0  atualizados: 0  sem alteração: 1  recusados: 0"), "{again}");
    db.drop_it().await;
}

async fn only_codigo_nome_and_revenda_are_required_and_revenda_may_come_from_the_command(store: Store) {
    let (w, db) = on_store("default-reseller", store).await;
    let minimal = w.write("minimo.csv", b"codigo;revenda;nome\n9100;Vale Net;Bia Lima\n");
    assert!(w.ok(&["import", "clients", path(&minimal)]).contains("criados: 1"));
    let file = w.write("clientes.csv", b"codigo;nome\n9101;Ana Lima\n");
    let (ok, _, err) = w.balcao(&["import", "clients", path(&file)]);
    assert!(!ok && err.contains("faltam colunas no cabeçalho: revenda"), "{err}");
    let out = w.ok(&["import", "clients", path(&file), "--revenda", "Serra Fibra"]);
    assert!(out.contains("criados: 1"), "{out}");
    assert!(w.ok(&["clients", "show", "9101"]).contains("Revenda:        Serra Fibra"));
    db.drop_it().await;
}

/// Posts a signed e-mail to intake; its status, or `None` when the service
/// could not be reached or cut the connection (as a killed one does).
fn try_post_email(addr: &str, secret: &str, raw: &[u8]) -> Option<u16> {
    use std::io::{Read, Write};
    let signature =
        format!("sha256={}", balcao_domain::intake::hex(&balcao_domain::intake::hmac_sha256(secret.as_bytes(), raw)));
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).ok()?;
    let head = format!(
        "POST /webhooks/email/raw HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: message/rfc822\r\n\
         X-Balcao-Signature: {signature}\r\nContent-Length: {}\r\n\r\n",
        raw.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(raw).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split(' ').nth(1)?.parse().ok()
}

/// Starts `balcao serve` in `w` on `addr` with intake open, and waits until it is ready.
fn serve_intake(w: &Workdir, addr: &str, secret: &str) -> std::process::Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_balcao"));
    command
        .args(["serve"])
        .current_dir(&w.0)
        .env("BALCAO_HTTP__ADDR", addr)
        .env("BALCAO_WEBHOOKS__SECRET", secret)
        .env("BALCAO_INTAKE__MAX_NEW_PER_HOUR", "40")
        .env("BALCAO_LOG", "error")
        .stdout(std::process::Stdio::null());
    if let Some(url) = &w.1 {
        command.env("BALCAO_DATABASE__URL", url);
    }
    let mut child = command.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let ready = std::net::TcpStream::connect(addr).is_ok() && support::http::get(addr, "/readyz").0 == 200;
        if ready {
            return child;
        }
        if std::time::Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("the service did not start");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// SIGKILL in the middle of a stream of e-mails: after the restart and the
/// senders' retries, every contact the service acknowledged is stored, and
/// every contact is a ticket or a reply exactly once.
async fn a_service_killed_mid_stream_loses_no_acknowledged_contact_and_doubles_none(store: Store) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    const SECRET: &str = "segredo-do-teste-de-queda-0123";
    const N: usize = 240;
    let (w, db) = on_store("killed", store).await;
    w.ok(&["migrate"]);
    w.ok(&["import", "clients", path(&w.write("clientes.csv", CLIENTS.as_bytes()))]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let email = |i: usize| {
        format!(
            "From: Maria <maria@exemplo.com.br>\r\nTo: suporte@litoral.test\r\nSubject: Contato {i}\r\n\
             Message-ID: <queda-{i}@cliente.test>\r\n\r\nmarcador-{i:04}. Sem sinal.\r\n"
        )
        .into_bytes()
    };
    let mut child = serve_intake(&w, &addr, SECRET);
    // Two senders post in turn; the service is killed once 60 were acknowledged.
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(vec![false; N]));
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let (next, acked, addr) = (next.clone(), acked.clone(), addr.clone());
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= N {
                        return;
                    }
                    if try_post_email(&addr, SECRET, &email(i)).is_some_and(|s| (200..300).contains(&s)) {
                        acked.lock().unwrap()[i] = true;
                    }
                }
            })
        })
        .collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while acked.lock().unwrap().iter().filter(|a| **a).count() < 60 {
        assert!(std::time::Instant::now() < deadline, "the stream did not flow");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for s in senders {
        s.join().unwrap();
    }
    let acked_before: Vec<usize> = (0..N).filter(|i| acked.lock().unwrap()[*i]).collect();
    assert!(acked_before.len() < N, "the kill came mid-stream");
    eprintln!("killed after {} of {N} contacts were acknowledged", acked_before.len());

    // Restarted, the senders retry every message (an acknowledgement may have been lost too).
    let mut child = serve_intake(&w, &addr, SECRET);
    for i in 0..N {
        let status = try_post_email(&addr, SECRET, &email(i)).expect("the service answers");
        if acked_before.contains(&i) {
            assert_eq!(status, 200, "contact {i} was acknowledged, so it was stored: a duplicate now");
        } else {
            assert!(status == 200 || status == 202, "contact {i}: {status}");
        }
    }
    let store_db = balcao_storage::Db::connect(&db.url, 1).await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (waiting,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM intake_deliveries WHERE status = 'pending'")
            .fetch_one(store_db.pool())
            .await
            .unwrap();
        if waiting == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{waiting} contacts still waiting");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());

    let outcomes: Vec<(String,)> =
        sqlx::query_as("SELECT status FROM intake_deliveries").fetch_all(store_db.pool()).await.unwrap();
    assert_eq!(outcomes.len(), N, "one stored contact per message");
    assert!(outcomes.iter().all(|(s,)| s == "ticket" || s == "reply"), "{outcomes:?}");
    let mut texts: Vec<(String,)> =
        sqlx::query_as("SELECT problem FROM tickets").fetch_all(store_db.pool()).await.unwrap();
    texts.extend(
        sqlx::query_as::<_, (String,)>("SELECT detail FROM ticket_events WHERE kind = 'client_wrote'")
            .fetch_all(store_db.pool())
            .await
            .unwrap(),
    );
    let tickets = outcomes.iter().filter(|(s,)| s == "ticket").count();
    assert_eq!(tickets, 40, "past 40 an hour, a sender's contacts join their latest ticket");
    for i in 0..N {
        let marker = format!("marcador-{i:04}.");
        let found = texts.iter().filter(|(t,)| t.contains(&marker)).count();
        assert_eq!(found, 1, "contact {i} is a ticket or a reply exactly once");
    }
    store_db.close().await;
    db.drop_it().await;
}

support::on_both_stores!(
    a_service_killed_mid_stream_loses_no_acknowledged_contact_and_doubles_none,
    dirty_contact_values_are_kept_aside_and_every_client_is_imported,
    an_unbalanced_quote_refuses_its_line_and_the_rest_of_the_file_imports,
    a_refused_row_creates_no_reseller,
    a_utf8_file_with_a_few_latin1_bytes_stays_utf8_and_those_lines_are_repaired,
    cells_beyond_the_header_are_reported,
    nul_bytes_are_removed_and_the_rows_import_on_every_store,
    a_code_repeated_in_a_file_counts_once_and_a_reimport_changes_nothing,
    only_codigo_nome_and_revenda_are_required_and_revenda_may_come_from_the_command,
);
