//! Deterministic generator of realistic Brazilian client data.
//!
//! Used by `balcao seed --demo` (a few hundred clients for staff to click
//! through) and by benchmarks (a million clients), so it is seeded, needs no
//! dependencies and allocates little beyond the `String`s it returns.
//!
//! The data looks real on purpose: real municipalities with their UF, area
//! code (DDD) and a plausible CEP range, CPFs and CNPJs with valid check
//! digits, names as people actually write them. It is *not* real: documents
//! are random (though, being valid, one may happen to belong to someone),
//! e-mails only use reserved example domains, and CEPs are not guaranteed to
//! exist. Never use it for anything but demos and tests.

use std::fmt::Write as _;

/// Deterministic pseudo-random source for demo data.
///
/// SplitMix64: tiny, fast, and every seed (including 0) gives a good stream.
/// Not cryptographic; the same seed always yields the same sequence.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Creates a generator; equal seeds produce equal sequences.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// Next 64 uniformly distributed bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform integer in `0..n`, without modulo bias.
    ///
    /// # Panics
    /// If `n` is zero.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below needs a non-empty range");
        // Lemire's multiply-and-shift; the rejection step removes the bias.
        let mut wide = u128::from(self.next_u64()) * u128::from(n);
        if (wide as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (wide as u64) < threshold {
                wide = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (wide >> 64) as u64
    }

    /// True with the given probability in percent (0 never, 100 or more always).
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A uniformly chosen element.
    ///
    /// # Panics
    /// If `items` is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn digit(&mut self) -> u8 {
        self.below(10) as u8
    }

    fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len() as u64) as usize]
    }

    /// Uniform integer in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
}

/// One generated client; all text as a person would type it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoClient {
    /// `true` for a company (CNPJ), `false` for a person (CPF).
    pub is_company: bool,
    /// Person's full name, or the company's legal name.
    pub name: String,
    /// Company's trade name; always empty for people.
    pub trade_name: String,
    /// Formatted CPF `123.456.789-09` or CNPJ `12.345.678/0001-95`, valid check digits.
    pub document: String,
    /// Street with its type, e.g. `Rua Sete de Setembro`.
    pub street: String,
    /// House number, or `S/N`.
    pub number: String,
    /// Apartment, block, room…; often empty.
    pub complement: String,
    /// Neighbourhood (bairro).
    pub district: String,
    /// Real municipality, with accents.
    pub city: String,
    /// The municipality's UF, two uppercase letters.
    pub state: String,
    /// CEP formatted `12345-678`, within the city's range.
    pub postal_code: String,
    /// 1–3 numbers, `(12) 98765-4321` (mobile) or `(12) 3456-7890` (landline), city's DDD.
    pub phones: Vec<String>,
    /// 0–2 lowercase ASCII addresses on example domains only.
    pub emails: Vec<String>,
    /// `(year, month, day)`: birth date for people (1940–2006), founding date for companies (1980–2024).
    pub birth_date: (i32, u32, u32),
}

/// Generates one client: about 80% people and 20% companies.
pub fn client(rng: &mut Rng) -> DemoClient {
    let city = pick_city(rng);
    if rng.chance(20) { company(rng, city) } else { person(rng, city) }
}

/// Valid CPF: 11 digits, no punctuation, never all the same digit.
pub fn cpf_digits(rng: &mut Rng) -> String {
    let mut digits = [0u8; 11];
    loop {
        for d in &mut digits[..9] {
            *d = rng.digit();
        }
        // All-same-digit CPFs pass the arithmetic but are invalid by rule.
        if digits[..9].iter().any(|&d| d != digits[0]) {
            break;
        }
    }
    digits[9] = mod11_check(&digits[..9], &[10, 9, 8, 7, 6, 5, 4, 3, 2]);
    digits[10] = mod11_check(&digits[..10], &[11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
    digits_to_string(&digits)
}

/// Valid CNPJ: 14 digits, no punctuation; the branch is usually `0001`.
pub fn cnpj_digits(rng: &mut Rng) -> String {
    let branch = if rng.chance(90) { 1 } else { rng.between(2, 12) as u8 };
    cnpj_with_branch(rng, branch)
}

fn cnpj_with_branch(rng: &mut Rng, branch: u8) -> String {
    let mut digits = [0u8; 14];
    loop {
        for d in &mut digits[..8] {
            *d = rng.digit();
        }
        if digits[..8].iter().any(|&d| d != digits[0]) {
            break;
        }
    }
    digits[8..12].copy_from_slice(&[0, 0, branch / 10, branch % 10]);
    digits[12] = mod11_check(&digits[..12], &[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
    digits[13] = mod11_check(&digits[..13], &[6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]);
    digits_to_string(&digits)
}

fn mod11_check(digits: &[u8], weights: &[u32]) -> u8 {
    let sum: u32 = digits.iter().zip(weights).map(|(&d, &w)| u32::from(d) * w).sum();
    let remainder = sum % 11;
    if remainder < 2 { 0 } else { (11 - remainder) as u8 }
}

fn digits_to_string(digits: &[u8]) -> String {
    digits.iter().map(|&d| char::from(b'0' + d)).collect()
}

fn format_cpf(d: &str) -> String {
    format!("{}.{}.{}-{}", &d[..3], &d[3..6], &d[6..9], &d[9..])
}

fn format_cnpj(d: &str) -> String {
    format!("{}.{}.{}/{}-{}", &d[..2], &d[2..5], &d[5..8], &d[8..12], &d[12..])
}

// ---------------------------------------------------------------------------
// People

fn person(rng: &mut Rng, city: &City) -> DemoClient {
    let female = rng.chance(52);
    let name = person_name(rng, female);
    let document = format_cpf(&cpf_digits(rng));
    // Triangular distribution: most customers are middle-aged, few are 18 or 85.
    let year = 1940 + (rng.below(34) + rng.below(34)) as i32;
    let birth_date = date_in_year(rng, year);

    let phones = phones(rng, city, 90);
    let email_count = match rng.below(100) {
        0..15 => 0,
        15..80 => 1,
        _ => 2,
    };
    let mut emails = Vec::with_capacity(email_count);
    while emails.len() < email_count {
        let email = person_email(rng, &name, year);
        if !emails.contains(&email) {
            emails.push(email);
        }
    }

    let (street, number, complement, district, postal_code) = address(rng, city, false);
    DemoClient {
        is_company: false,
        name,
        trade_name: String::new(),
        document,
        street,
        number,
        complement,
        district,
        city: city.name.to_owned(),
        state: city.state.to_owned(),
        postal_code,
        phones,
        emails,
        birth_date,
    }
}

fn person_name(rng: &mut Rng, female: bool) -> String {
    let mut name = String::with_capacity(40);
    let (given, compound) =
        if female { (FEMALE_NAMES, FEMALE_COMPOUND_NAMES) } else { (MALE_NAMES, MALE_COMPOUND_NAMES) };
    name.push_str(if rng.chance(18) { rng.word(compound) } else { rng.word(given) });

    let surname_count = match rng.below(100) {
        0..20 => 1,
        20..85 => 2,
        _ => 3,
    };
    let mut chosen: [usize; 3] = [usize::MAX; 3];
    for slot in 0..surname_count {
        let index = loop {
            // Real surname frequency is very skewed toward a handful.
            let i = if rng.chance(35) {
                rng.below(COMMON_SURNAMES as u64) as usize
            } else {
                rng.below(SURNAMES.len() as u64) as usize
            };
            if !chosen.contains(&i) {
                break i;
            }
        };
        chosen[slot] = index;
        let (surname, particle) = SURNAMES[index];
        name.push(' ');
        if !particle.is_empty() && rng.chance(35) {
            name.push_str(particle);
            name.push(' ');
        }
        name.push_str(surname);
    }

    if !female {
        match rng.below(100) {
            0..4 => name.push_str(" Júnior"),
            4..7 => name.push_str(" Filho"),
            7 => name.push_str(" Neto"),
            _ => {}
        }
    }
    name
}

fn person_email(rng: &mut Rng, name: &str, year: i32) -> String {
    let words: Vec<&str> = name.split(' ').filter(|w| !PARTICLES.contains(w) && !SUFFIXES.contains(w)).collect();
    let first = ascii_fold(words[0]);
    let last = ascii_fold(words[words.len() - 1]);
    let mut local = String::with_capacity(32);
    match rng.below(7) {
        0 | 1 => {
            local.push_str(&first);
            local.push('.');
            local.push_str(&last);
        }
        2 => {
            local.push_str(&first);
            local.push_str(&last);
        }
        3 => {
            local.push_str(&first);
            local.push('_');
            local.push_str(&last);
        }
        4 => {
            local.push_str(&first);
            local.push('.');
            local.push_str(&last);
            let _ = write!(local, "{}", rng.between(1, 99));
        }
        5 => {
            local.push_str(&first[..1]);
            local.push_str(&last);
        }
        _ => {
            local.push_str(&first);
            let _ = write!(local, "{:02}", year % 100);
        }
    }
    local.push('@');
    local.push_str(rng.word(EMAIL_DOMAINS));
    local
}

// ---------------------------------------------------------------------------
// Companies

fn company(rng: &mut Rng, city: &City) -> DemoClient {
    let business = rng.pick(BUSINESSES);
    let specific = rng.chance(60);
    let fancy = if specific { rng.word(business.fancy) } else { rng.word(GENERIC_FANCY) };
    // "Pão Quente" stands alone as a trade name; "Central" or "Brasil" does not.
    let trade_name = if specific && rng.chance(50) { fancy.to_owned() } else { format!("{} {fancy}", business.word) };

    let mei = rng.chance(8);
    // A MEI cannot have branches.
    let digits = if mei { cnpj_with_branch(rng, 1) } else { cnpj_digits(rng) };
    let (name, first_year, last_year) = match rng.below(100) {
        // A MEI's legal name is its CNPJ root followed by the owner's name.
        _ if mei => {
            let female = rng.chance(50);
            let owner = person_name(rng, female);
            let root = &format_cnpj(&digits)[..10];
            (format!("{root} {owner}"), 2009, 2024)
        }
        // Many legal names only say who owns it and what it does.
        0..22 => {
            let (a, _) = rng.pick(SURNAMES);
            let owners = if rng.chance(40) {
                let (b, _) = rng.pick(SURNAMES);
                if a == b { (*a).to_owned() } else { format!("{a} & {b}") }
            } else {
                (*a).to_owned()
            };
            let suffix = if rng.chance(80) { "Ltda" } else { "ME" };
            (format!("{owners} {} {suffix}", business.activity), 1980, 2024)
        }
        _ => {
            let (suffix, first, last) = match rng.below(100) {
                0..62 => ("Ltda", 1980, 2024),
                62..80 => ("ME", 1980, 2024),
                // EIRELI only existed between 2011 and 2021.
                80..94 => ("EIRELI", 2011, 2021),
                _ if business.corporation_ok => ("S.A.", 1980, 2024),
                _ => ("Ltda", 1980, 2024),
            };
            (format!("{} {fancy} {suffix}", business.word), first, last)
        }
    };
    let year = rng.between(first_year, last_year) as i32;
    let birth_date = date_in_year(rng, year);

    let phones = phones(rng, city, 55);
    let email_count = match rng.below(100) {
        0..5 => 0,
        5..75 => 1,
        _ => 2,
    };
    let handle = ascii_fold(fancy);
    let mut emails = Vec::with_capacity(email_count);
    while emails.len() < email_count {
        let mailbox = rng.pick(COMPANY_MAILBOXES);
        let domain = rng.pick(EMAIL_DOMAINS);
        let email =
            if mailbox.is_empty() { format!("{handle}@{domain}") } else { format!("{mailbox}.{handle}@{domain}") };
        if !emails.contains(&email) {
            emails.push(email);
        }
    }

    let (street, number, complement, district, postal_code) = address(rng, city, true);
    DemoClient {
        is_company: true,
        name,
        trade_name,
        document: format_cnpj(&digits),
        street,
        number,
        complement,
        district,
        city: city.name.to_owned(),
        state: city.state.to_owned(),
        postal_code,
        phones,
        emails,
        birth_date,
    }
}

// ---------------------------------------------------------------------------
// Shared pieces

fn pick_city(rng: &mut Rng) -> &'static City {
    let mut roll = rng.below(u64::from(TOTAL_CITY_WEIGHT)) as u32;
    for city in CITIES {
        if roll < city.weight {
            return city;
        }
        roll -= city.weight;
    }
    unreachable!("roll is below the sum of the weights")
}

const TOTAL_CITY_WEIGHT: u32 = {
    let mut total = 0;
    let mut i = 0;
    while i < CITIES.len() {
        total += CITIES[i].weight;
        i += 1;
    }
    total
};

fn date_in_year(rng: &mut Rng, year: i32) -> (i32, u32, u32) {
    let month = rng.between(1, 12) as u32;
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (year, month, rng.between(1, days) as u32)
}

fn phones(rng: &mut Rng, city: &City, mobile_percent: u64) -> Vec<String> {
    let count = match rng.below(100) {
        0..55 => 1,
        55..90 => 2,
        _ => 3,
    };
    let mut phones = Vec::with_capacity(count);
    while phones.len() < count {
        let mobile = rng.chance(mobile_percent);
        let phone = phone(rng, city.ddd, mobile);
        if !phones.contains(&phone) {
            phones.push(phone);
        }
    }
    phones
}

fn phone(rng: &mut Rng, ddd: u8, mobile: bool) -> String {
    let mut phone = String::with_capacity(16);
    let _ = write!(phone, "({ddd}) ");
    if mobile {
        // Mobile numbers are 9 followed by a digit that is 6–9 in practice.
        phone.push('9');
        phone.push(char::from(b'0' + rng.between(6, 9) as u8));
        push_random_digits(rng, &mut phone, 3);
    } else {
        let first = match rng.below(10) {
            0..7 => b'3',
            7 | 8 => b'2',
            _ => b'4',
        };
        phone.push(char::from(first));
        push_random_digits(rng, &mut phone, 3);
    }
    phone.push('-');
    push_random_digits(rng, &mut phone, 4);
    phone
}

fn push_random_digits(rng: &mut Rng, out: &mut String, count: usize) {
    for _ in 0..count {
        out.push(char::from(b'0' + rng.digit()));
    }
}

fn address(rng: &mut Rng, city: &City, company: bool) -> (String, String, String, String, String) {
    let kind = match rng.below(100) {
        0..62 => "Rua",
        62..82 => "Avenida",
        82..89 => "Travessa",
        89..94 => "Alameda",
        94..97 => "Praça",
        _ => "Estrada",
    };
    let mut street = String::with_capacity(40);
    street.push_str(kind);
    street.push(' ');
    if rng.chance(15) {
        // Streets named after a local notable: "Rua Professor Antônio Ribeiro".
        let female = rng.chance(30);
        let (titles, names) = if female { (FEMALE_TITLES, FEMALE_NAMES) } else { (MALE_TITLES, MALE_NAMES) };
        let (surname, _) = rng.pick(SURNAMES);
        let _ = write!(street, "{} {} {surname}", rng.pick(titles), rng.pick(names));
    } else {
        street.push_str(rng.word(STREET_NAMES));
    }

    let number = if rng.chance(3) {
        "S/N".to_owned()
    } else if rng.chance(70) {
        rng.between(1, 999).to_string()
    } else {
        rng.between(1000, 4999).to_string()
    };

    let complement = if company {
        match rng.below(100) {
            0..50 => String::new(),
            50..72 => format!("Sala {}", rng.between(1, 30)),
            72..90 => format!("Loja {}", rng.between(1, 12)),
            _ => format!("Galpão {}", rng.between(1, 4)),
        }
    } else {
        match rng.below(100) {
            0..55 => String::new(),
            55..75 => format!("Apto {}{:02}", rng.between(1, 15), rng.between(1, 8)),
            75..83 => format!(
                "Bloco {} Apto {}{:02}",
                char::from(b'A' + rng.below(6) as u8),
                rng.between(1, 12),
                rng.between(1, 4)
            ),
            83..93 => format!("Casa {}", rng.between(1, 5)),
            93..97 => "Fundos".to_owned(),
            _ => format!("Lote {} Quadra {}", rng.between(1, 40), rng.between(1, 25)),
        }
    };

    let districts = if city.state == "DF" { DF_DISTRICTS } else { DISTRICTS };
    let district = rng.word(districts).to_owned();

    let prefix = rng.between(u64::from(city.cep.0), u64::from(city.cep.1));
    // Small towns have a single CEP for the whole municipality, ending in 000.
    let suffix = if city.cep.0 == city.cep.1 { 0 } else { rng.below(990) };
    let postal_code = format!("{prefix:05}-{suffix:03}");

    (street, number, complement, district, postal_code)
}

/// Lowercase ASCII letters and digits only: accents folded, everything else dropped.
fn ascii_fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let folded = match c {
            'á' | 'à' | 'â' | 'ã' | 'ä' | 'Á' | 'À' | 'Â' | 'Ã' | 'Ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
            'ç' | 'Ç' => 'c',
            'ñ' | 'Ñ' => 'n',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => continue,
        };
        out.push(folded);
    }
    out
}

// ---------------------------------------------------------------------------
// Data

struct City {
    name: &'static str,
    state: &'static str,
    ddd: u8,
    /// Relative frequency among generated clients.
    weight: u32,
    /// Inclusive range of the first five CEP digits.
    cep: (u32, u32),
}

const fn city(name: &'static str, state: &'static str, ddd: u8, weight: u32, cep: (u32, u32)) -> City {
    City { name, state, ddd, weight, cep }
}

static CITIES: &[City] = &[
    // São Paulo
    city("São Paulo", "SP", 11, 40, (1000, 5999)),
    city("Guarulhos", "SP", 11, 6, (7000, 7399)),
    city("Osasco", "SP", 11, 4, (6000, 6299)),
    city("Santo André", "SP", 11, 4, (9000, 9299)),
    city("Jundiaí", "SP", 11, 4, (13200, 13219)),
    city("São José dos Campos", "SP", 12, 16, (12200, 12248)),
    city("Taubaté", "SP", 12, 6, (12000, 12119)),
    city("Santos", "SP", 13, 5, (11000, 11099)),
    city("Bauru", "SP", 14, 3, (17000, 17109)),
    city("Sorocaba", "SP", 15, 5, (18000, 18109)),
    city("Ribeirão Preto", "SP", 16, 6, (14000, 14114)),
    city("São José do Rio Preto", "SP", 17, 5, (15000, 15093)),
    city("Presidente Prudente", "SP", 18, 3, (19000, 19109)),
    city("Campinas", "SP", 19, 10, (13000, 13139)),
    city("Piracicaba", "SP", 19, 3, (13400, 13429)),
    // Rio de Janeiro
    city("Rio de Janeiro", "RJ", 21, 24, (20000, 23799)),
    city("Niterói", "RJ", 21, 5, (24000, 24399)),
    city("Duque de Caxias", "RJ", 21, 4, (25000, 25299)),
    city("Campos dos Goytacazes", "RJ", 22, 3, (28000, 28099)),
    city("Petrópolis", "RJ", 24, 3, (25600, 25779)),
    city("Volta Redonda", "RJ", 24, 3, (27200, 27299)),
    city("Paraty", "RJ", 24, 1, (23970, 23970)),
    // Espírito Santo
    city("Vitória", "ES", 27, 4, (29000, 29099)),
    city("Vila Velha", "ES", 27, 3, (29100, 29129)),
    city("Cachoeiro de Itapemirim", "ES", 28, 2, (29300, 29319)),
    // Minas Gerais
    city("Belo Horizonte", "MG", 31, 18, (30000, 31999)),
    city("Contagem", "MG", 31, 4, (32000, 32399)),
    city("Ipatinga", "MG", 31, 2, (35160, 35164)),
    city("Ouro Preto", "MG", 31, 1, (35400, 35400)),
    city("Itabira", "MG", 31, 1, (35900, 35909)),
    city("Conceição do Mato Dentro", "MG", 31, 1, (35860, 35860)),
    city("Juiz de Fora", "MG", 32, 5, (36000, 36099)),
    city("São João del-Rei", "MG", 32, 1, (36300, 36309)),
    city("Tiradentes", "MG", 32, 1, (36325, 36325)),
    city("Governador Valadares", "MG", 33, 2, (35000, 35099)),
    city("Uberlândia", "MG", 34, 6, (38400, 38419)),
    city("Conceição das Alagoas", "MG", 34, 1, (38120, 38120)),
    city("Poços de Caldas", "MG", 35, 3, (37700, 37719)),
    city("Varginha", "MG", 35, 2, (37000, 37118)),
    city("Itajubá", "MG", 35, 1, (37500, 37509)),
    city("São Lourenço", "MG", 35, 1, (37470, 37470)),
    city("Montes Claros", "MG", 38, 3, (39400, 39409)),
    city("Diamantina", "MG", 38, 1, (39100, 39100)),
    // Paraná
    city("Curitiba", "PR", 41, 12, (80000, 82999)),
    city("Ponta Grossa", "PR", 42, 3, (84000, 84099)),
    city("Londrina", "PR", 43, 5, (86000, 86099)),
    city("Maringá", "PR", 44, 4, (87000, 87099)),
    city("Cascavel", "PR", 45, 2, (85800, 85824)),
    city("Foz do Iguaçu", "PR", 45, 2, (85850, 85869)),
    // Santa Catarina
    city("Joinville", "SC", 47, 5, (89200, 89239)),
    city("Blumenau", "SC", 47, 3, (89000, 89099)),
    city("Florianópolis", "SC", 48, 6, (88000, 88099)),
    city("Criciúma", "SC", 48, 2, (88800, 88819)),
    city("Chapecó", "SC", 49, 2, (89800, 89816)),
    // Rio Grande do Sul
    city("Porto Alegre", "RS", 51, 10, (90000, 91999)),
    city("Pelotas", "RS", 53, 3, (96000, 96099)),
    city("Caxias do Sul", "RS", 54, 4, (95000, 95124)),
    city("Passo Fundo", "RS", 54, 2, (99000, 99099)),
    city("Santa Maria", "RS", 55, 2, (97000, 97119)),
    // Centro-Oeste
    city("Brasília", "DF", 61, 10, (70000, 72799)),
    city("Goiânia", "GO", 62, 8, (74000, 74899)),
    city("Aparecida de Goiânia", "GO", 62, 3, (74900, 74999)),
    city("Anápolis", "GO", 62, 2, (75000, 75144)),
    city("Cuiabá", "MT", 65, 4, (78000, 78099)),
    city("Rondonópolis", "MT", 66, 2, (78700, 78749)),
    city("Campo Grande", "MS", 67, 4, (79000, 79129)),
    city("Dourados", "MS", 67, 2, (79800, 79849)),
    // Nordeste
    city("Salvador", "BA", 71, 12, (40000, 42499)),
    city("Ilhéus", "BA", 73, 2, (45650, 45659)),
    city("Juazeiro", "BA", 74, 2, (48900, 48909)),
    city("Feira de Santana", "BA", 75, 4, (44000, 44099)),
    city("Lençóis", "BA", 75, 1, (46960, 46960)),
    city("Vitória da Conquista", "BA", 77, 3, (45000, 45099)),
    city("Aracaju", "SE", 79, 4, (49000, 49099)),
    city("Recife", "PE", 81, 10, (50000, 52999)),
    city("Olinda", "PE", 81, 3, (53000, 53299)),
    city("Caruaru", "PE", 81, 3, (55000, 55099)),
    city("Petrolina", "PE", 87, 2, (56300, 56339)),
    city("Garanhuns", "PE", 87, 1, (55290, 55299)),
    city("Maceió", "AL", 82, 5, (57000, 57099)),
    city("Arapiraca", "AL", 82, 2, (57300, 57319)),
    city("João Pessoa", "PB", 83, 5, (58000, 58099)),
    city("Campina Grande", "PB", 83, 3, (58400, 58449)),
    city("Natal", "RN", 84, 5, (59000, 59159)),
    city("Mossoró", "RN", 84, 2, (59600, 59659)),
    city("Fortaleza", "CE", 85, 12, (60000, 61599)),
    city("Juazeiro do Norte", "CE", 88, 2, (63000, 63059)),
    city("Sobral", "CE", 88, 2, (62010, 62119)),
    city("Teresina", "PI", 86, 5, (64000, 64099)),
    city("Parnaíba", "PI", 86, 1, (64200, 64219)),
    city("São Luís", "MA", 98, 5, (65000, 65109)),
    city("Imperatriz", "MA", 99, 2, (65900, 65919)),
    // Norte
    city("Belém", "PA", 91, 7, (66000, 66999)),
    city("Santarém", "PA", 93, 2, (68000, 68109)),
    city("Marabá", "PA", 94, 2, (68500, 68514)),
    city("Manaus", "AM", 92, 8, (69000, 69099)),
    city("Porto Velho", "RO", 69, 2, (76800, 76834)),
    city("Rio Branco", "AC", 68, 2, (69900, 69923)),
    city("Macapá", "AP", 96, 2, (68900, 68911)),
    city("Boa Vista", "RR", 95, 2, (69300, 69339)),
    city("Palmas", "TO", 63, 2, (77000, 77270)),
];

static FEMALE_NAMES: &[&str] = &[
    "Maria",
    "Ana",
    "Francisca",
    "Antônia",
    "Adriana",
    "Juliana",
    "Márcia",
    "Fernanda",
    "Patrícia",
    "Aline",
    "Conceição",
    "Sandra",
    "Camila",
    "Amanda",
    "Bruna",
    "Jéssica",
    "Letícia",
    "Júlia",
    "Luciana",
    "Vanessa",
    "Mariana",
    "Gabriela",
    "Vera",
    "Vitória",
    "Larissa",
    "Cláudia",
    "Beatriz",
    "Rita",
    "Luana",
    "Sônia",
    "Renata",
    "Eliane",
    "Josefa",
    "Simone",
    "Natália",
    "Cristiane",
    "Carla",
    "Raimunda",
    "Débora",
    "Rosângela",
    "Jaqueline",
    "Rosa",
    "Daniela",
    "Aparecida",
    "Marlene",
    "Terezinha",
    "Raquel",
    "Andreia",
    "Fabiana",
    "Lúcia",
    "Raíssa",
    "Tatiane",
    "Isabela",
    "Sebastiana",
    "Regina",
    "Alessandra",
    "Lívia",
    "Priscila",
    "Helena",
    "Laura",
    "Valentina",
    "Alice",
    "Sofia",
    "Manuela",
    "Heloísa",
    "Cecília",
    "Lorena",
    "Rafaela",
    "Kelly",
    "Joana",
    "Benedita",
    "Edna",
    "Ivone",
    "Glória",
    "Tereza",
    "Elaine",
    "Michele",
    "Viviane",
    "Karina",
    "Sueli",
];

static FEMALE_COMPOUND_NAMES: &[&str] = &[
    "Maria Eduarda",
    "Maria Clara",
    "Maria Luísa",
    "Maria Aparecida",
    "Maria José",
    "Maria de Lourdes",
    "Maria de Fátima",
    "Maria das Graças",
    "Maria do Socorro",
    "Maria da Conceição",
    "Maria Helena",
    "Maria Cecília",
    "Ana Paula",
    "Ana Clara",
    "Ana Beatriz",
    "Ana Luísa",
    "Ana Carolina",
    "Ana Cristina",
    "Ana Lúcia",
    "Ana Júlia",
];

static MALE_NAMES: &[&str] = &[
    "João",
    "José",
    "Antônio",
    "Francisco",
    "Carlos",
    "Paulo",
    "Pedro",
    "Lucas",
    "Luiz",
    "Marcos",
    "Luís",
    "Gabriel",
    "Rafael",
    "Daniel",
    "Marcelo",
    "Bruno",
    "Eduardo",
    "Felipe",
    "Raimundo",
    "Rodrigo",
    "Manoel",
    "Mateus",
    "André",
    "Fernando",
    "Fábio",
    "Leonardo",
    "Gustavo",
    "Guilherme",
    "Leandro",
    "Tiago",
    "Anderson",
    "Ricardo",
    "Márcio",
    "Jorge",
    "Sebastião",
    "Alexandre",
    "Roberto",
    "Edson",
    "Diego",
    "Vitor",
    "Sérgio",
    "Cláudio",
    "Matheus",
    "Thiago",
    "Geraldo",
    "Adriano",
    "Luciano",
    "Júlio",
    "Renato",
    "Alex",
    "Vinícius",
    "Rogério",
    "Samuel",
    "Ronaldo",
    "Mário",
    "Flávio",
    "Douglas",
    "Igor",
    "Davi",
    "Heitor",
    "Miguel",
    "Arthur",
    "Benedito",
    "Severino",
    "Joaquim",
    "Otávio",
    "Caio",
    "Henrique",
    "Wellington",
    "Cícero",
    "Valdir",
    "Osvaldo",
    "Reginaldo",
    "Wagner",
    "Everton",
];

static MALE_COMPOUND_NAMES: &[&str] = &[
    "João Pedro",
    "João Victor",
    "João Paulo",
    "João Guilherme",
    "José Carlos",
    "José Roberto",
    "José Antônio",
    "Luiz Carlos",
    "Luiz Fernando",
    "Carlos Eduardo",
    "Antônio Carlos",
    "Paulo Roberto",
    "Pedro Henrique",
    "Francisco de Assis",
    "Marco Antônio",
    "Luiz Henrique",
];

/// Surnames with the particle that sometimes precedes them.
static SURNAMES: &[(&str, &str)] = &[
    // The first COMMON_SURNAMES entries are drawn more often.
    ("Silva", "da"),
    ("Santos", "dos"),
    ("Oliveira", "de"),
    ("Souza", "de"),
    ("Rodrigues", ""),
    ("Ferreira", ""),
    ("Alves", ""),
    ("Pereira", ""),
    ("Lima", "de"),
    ("Gomes", ""),
    ("Ribeiro", ""),
    ("Carvalho", "de"),
    ("Araújo", "de"),
    ("Melo", "de"),
    ("Barbosa", ""),
    ("Conceição", "da"),
    ("Simões", ""),
    ("Gonçalves", ""),
    ("Assunção", "da"),
    ("Costa", "da"),
    ("Martins", ""),
    ("Rocha", "da"),
    ("Almeida", "de"),
    ("Nascimento", "do"),
    ("Jesus", "de"),
    ("Lopes", ""),
    ("Soares", ""),
    ("Fernandes", ""),
    ("Vieira", ""),
    ("Barros", "de"),
    ("Freitas", "de"),
    ("Cardoso", ""),
    ("Teixeira", ""),
    ("Dias", ""),
    ("Cavalcanti", ""),
    ("Moura", "de"),
    ("Castro", "de"),
    ("Andrade", "de"),
    ("Nunes", ""),
    ("Mendes", ""),
    ("Batista", ""),
    ("Moreira", ""),
    ("Monteiro", ""),
    ("Correia", ""),
    ("Cunha", "da"),
    ("Pinto", ""),
    ("Reis", "dos"),
    ("Campos", ""),
    ("Machado", ""),
    ("Ramos", ""),
    ("Marques", ""),
    ("Farias", "de"),
    ("Sales", ""),
    ("Moraes", "de"),
    ("Nogueira", ""),
    ("Azevedo", "de"),
    ("Bezerra", ""),
    ("Cruz", "da"),
    ("Xavier", ""),
    ("Macedo", "de"),
    ("Lacerda", ""),
    ("Fonseca", "da"),
    ("Brito", "de"),
    ("Pires", ""),
    ("Miranda", ""),
    ("Siqueira", ""),
    ("Tavares", ""),
    ("Borges", ""),
    ("Guimarães", ""),
    ("Medeiros", ""),
    ("Aguiar", ""),
    ("Coelho", ""),
    ("Queiroz", "de"),
    ("Paiva", ""),
    ("Sampaio", ""),
    ("Rezende", ""),
    ("Brandão", ""),
    ("Magalhães", ""),
    ("Prado", "do"),
    ("Amaral", "do"),
    ("Vasconcelos", ""),
    ("Leite", ""),
    ("Matos", ""),
    ("Santana", ""),
    ("Pinheiro", ""),
    ("Duarte", ""),
    ("Cordeiro", ""),
    ("Neves", "das"),
    ("Sousa", "de"),
    ("Franco", ""),
];

const COMMON_SURNAMES: usize = 12;

static PARTICLES: &[&str] = &["da", "de", "do", "das", "dos"];
static SUFFIXES: &[&str] = &["Júnior", "Filho", "Neto"];

static EMAIL_DOMAINS: &[&str] = &["exemplo.com.br", "example.com", "email.test"];
static COMPANY_MAILBOXES: &[&str] = &["", "contato", "financeiro", "atendimento", "vendas"];

struct Business {
    word: &'static str,
    /// What a legal name says the company does: "Silva Comércio de Alimentos Ltda".
    activity: &'static str,
    fancy: &'static [&'static str],
    /// Whether an S.A. is believable for this kind of business.
    corporation_ok: bool,
}

static BUSINESSES: &[Business] = &[
    Business {
        word: "Padaria",
        activity: "Comércio de Alimentos",
        fancy: &["Pão Quente", "Pão de Ouro", "Trigo Dourado", "Doce Sabor", "Pão Nosso"],
        corporation_ok: false,
    },
    Business {
        word: "Mercado",
        activity: "Comércio de Alimentos",
        fancy: &["Bom Preço", "Econômico", "Compre Bem", "Preço Baixo", "Dia a Dia"],
        corporation_ok: false,
    },
    Business {
        word: "Supermercado",
        activity: "Comércio Varejista",
        fancy: &["Bom Preço", "Compre Bem", "Pague Menos", "Economia"],
        corporation_ok: true,
    },
    Business {
        word: "Oficina",
        activity: "Serviços Automotivos",
        fancy: &["Motor Forte", "Roda Viva", "do Zé", "Mecânica Rápida"],
        corporation_ok: false,
    },
    Business {
        word: "Farmácia",
        activity: "Comércio de Medicamentos",
        fancy: &["Saúde", "Bem Estar", "Vida", "Popular", "Drogavida"],
        corporation_ok: true,
    },
    Business {
        word: "Auto Peças",
        activity: "Comércio de Peças",
        fancy: &["Motor Forte", "Roda Livre", "Pistão", "Rota"],
        corporation_ok: false,
    },
    Business {
        word: "Restaurante",
        activity: "Alimentação",
        fancy: &["Sabor Caseiro", "Tempero da Vovó", "Panela de Barro", "Fogão a Lenha"],
        corporation_ok: false,
    },
    Business {
        word: "Lanchonete",
        activity: "Alimentação",
        fancy: &["Ponto do Lanche", "Sabor e Cia", "Cantinho do Pastel"],
        corporation_ok: false,
    },
    Business {
        word: "Pet Shop",
        activity: "Comércio de Artigos para Animais",
        fancy: &["Amigo Fiel", "Patas e Focinhos", "Bicho Feliz", "Quatro Patas"],
        corporation_ok: false,
    },
    Business {
        word: "Academia",
        activity: "Atividades Esportivas",
        fancy: &["Corpo em Forma", "Força Total", "Energia", "Movimento"],
        corporation_ok: false,
    },
    Business {
        word: "Papelaria",
        activity: "Comércio de Papelaria",
        fancy: &["Lápis de Cor", "Arte e Papel", "Ponto Escolar"],
        corporation_ok: false,
    },
    Business {
        word: "Construtora",
        activity: "Engenharia e Construções",
        fancy: &["Alicerce", "Pedra Forte", "Horizonte", "Planalto"],
        corporation_ok: true,
    },
    Business {
        word: "Materiais de Construção",
        activity: "Comércio de Materiais de Construção",
        fancy: &["Tijolão", "Constrular", "Casa Forte", "Pedra Fundamental"],
        corporation_ok: false,
    },
    Business {
        word: "Salão de Beleza",
        activity: "Serviços de Beleza",
        fancy: &["Beleza Pura", "Espaço Mulher", "Charme", "Studio Bella"],
        corporation_ok: false,
    },
    Business {
        word: "Açougue",
        activity: "Comércio de Carnes",
        fancy: &["Boi Gordo", "Carne Nobre", "Picanha de Ouro"],
        corporation_ok: false,
    },
    Business {
        word: "Distribuidora",
        activity: "Distribuição de Bebidas",
        fancy: &["Gelada", "Bebidas Norte", "Rota Sul"],
        corporation_ok: true,
    },
    Business {
        word: "Transportadora",
        activity: "Transportes",
        fancy: &["Rota Certa", "Estrada Real", "Expresso Sul"],
        corporation_ok: true,
    },
    Business {
        word: "Clínica Odontológica",
        activity: "Serviços Odontológicos",
        fancy: &["Sorriso", "Dente Feliz", "Odontovida"],
        corporation_ok: false,
    },
    Business {
        word: "Imobiliária",
        activity: "Negócios Imobiliários",
        fancy: &["Lar Doce Lar", "Chave de Ouro", "Morada"],
        corporation_ok: false,
    },
    Business {
        word: "Escola",
        activity: "Serviços Educacionais",
        fancy: &["Pequeno Príncipe", "Saber", "Monteiro Lobato", "Aprender"],
        corporation_ok: false,
    },
    Business {
        word: "Pousada",
        activity: "Hotelaria",
        fancy: &["Recanto", "Sol Nascente", "Vista Alegre", "Mar Azul"],
        corporation_ok: false,
    },
    Business {
        word: "Sorveteria",
        activity: "Comércio de Sorvetes",
        fancy: &["Gelato", "Polo Norte", "Sabor Tropical"],
        corporation_ok: false,
    },
];

static GENERIC_FANCY: &[&str] = &[
    "São Jorge",
    "Estrela",
    "Central",
    "Bom Jesus",
    "Nossa Senhora Aparecida",
    "Primavera",
    "Ideal",
    "Real",
    "Progresso",
    "Brasil",
    "Nova Era",
    "Santa Luzia",
    "Dois Irmãos",
    "Três Irmãos",
    "Boa Vista",
    "Popular",
    "Modelo",
    "Esperança",
    "Santo Antônio",
    "São Francisco",
    "Sol Nascente",
    "Família",
    "Bela Vista",
    "União",
];

static STREET_NAMES: &[&str] = &[
    "das Flores",
    "Sete de Setembro",
    "Dom Pedro II",
    "XV de Novembro",
    "Tiradentes",
    "Santos Dumont",
    "Rui Barbosa",
    "Getúlio Vargas",
    "Marechal Deodoro",
    "Barão do Rio Branco",
    "Princesa Isabel",
    "José Bonifácio",
    "Duque de Caxias",
    "São João",
    "São Sebastião",
    "Nossa Senhora Aparecida",
    "das Acácias",
    "dos Ipês",
    "das Palmeiras",
    "dos Girassóis",
    "Castro Alves",
    "Machado de Assis",
    "Carlos Gomes",
    "Floriano Peixoto",
    "Benjamin Constant",
    "Treze de Maio",
    "Primeiro de Maio",
    "Vinte e Um de Abril",
    "da Independência",
    "da República",
    "Brasil",
    "Amazonas",
    "Bahia",
    "Paraná",
    "Minas Gerais",
    "Goiás",
    "Pernambuco",
    "Presidente Vargas",
    "Juscelino Kubitschek",
    "Anita Garibaldi",
    "Visconde de Mauá",
    "Padre Anchieta",
    "Frei Caneca",
    "Santa Catarina",
    "Santo Antônio",
    "São Francisco",
    "do Comércio",
    "da Conceição",
    "Dom Bosco",
    "Osvaldo Cruz",
    "Monteiro Lobato",
    "Cecília Meireles",
    "Chico Mendes",
    "dos Bandeirantes",
    "das Mangueiras",
    "Coronel Fernandes",
    "Presidente Kennedy",
    "Vinte e Cinco de Março",
    "Boa Esperança",
    "da Saudade",
];

static MALE_TITLES: &[&str] = &["Professor", "Doutor", "Coronel", "Vereador", "Padre", "Major"];
static FEMALE_TITLES: &[&str] = &["Professora", "Doutora", "Dona", "Irmã"];

static DISTRICTS: &[&str] = &[
    "Centro",
    "Jardim América",
    "Vila Nova",
    "Conceição",
    "Jardim Paulista",
    "Vila Maria",
    "São José",
    "Santa Cruz",
    "Boa Vista",
    "Bela Vista",
    "Jardim das Flores",
    "Parque Industrial",
    "Vila Operária",
    "Jardim Primavera",
    "Cidade Nova",
    "Santa Mônica",
    "Santo Antônio",
    "São Francisco",
    "Planalto",
    "Alvorada",
    "Jardim Europa",
    "Vila Rica",
    "Nova Esperança",
    "Jardim Brasil",
    "Distrito Industrial",
    "Aeroporto",
    "Liberdade",
    "Cruzeiro",
    "Jardim Satélite",
    "Monte Castelo",
    "Jardim Tropical",
    "Parque São Jorge",
    "Jardim Bela Vista",
    "Vila Isabel",
    "Floresta",
    "Esplanada",
    "Cidade Jardim",
    "Santa Rita",
    "Vila Esperança",
    "Jardim Aurora",
    "Ipiranga",
    "Nossa Senhora das Graças",
];

static DF_DISTRICTS: &[&str] = &[
    "Asa Norte",
    "Asa Sul",
    "Taguatinga",
    "Ceilândia",
    "Samambaia",
    "Águas Claras",
    "Guará",
    "Sobradinho",
    "Planaltina",
    "Gama",
    "Lago Sul",
    "Núcleo Bandeirante",
    "Recanto das Emas",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn clients(seed: u64, count: usize) -> Vec<DemoClient> {
        let mut rng = Rng::new(seed);
        (0..count).map(|_| client(&mut rng)).collect()
    }

    fn only_digits(text: &str) -> Vec<u32> {
        text.chars().filter_map(|c| c.to_digit(10)).collect()
    }

    /// Written independently of the generator: the "sum × 10 mod 11" form,
    /// computed from the right with cycling weights.
    fn check_digit(body: &[u32], max_weight: u32) -> u32 {
        let mut weight = 2;
        let mut sum = 0;
        for &d in body.iter().rev() {
            sum += d * weight;
            weight = if weight == max_weight { 2 } else { weight + 1 };
        }
        (sum * 10) % 11 % 10
    }

    fn valid_cpf(text: &str) -> bool {
        let d = only_digits(text);
        d.len() == 11
            && d.iter().any(|&x| x != d[0])
            && check_digit(&d[..9], 11) == d[9]
            && check_digit(&d[..10], 11) == d[10]
    }

    fn valid_cnpj(text: &str) -> bool {
        let d = only_digits(text);
        d.len() == 14
            && d.iter().any(|&x| x != d[0])
            && check_digit(&d[..12], 9) == d[12]
            && check_digit(&d[..13], 9) == d[13]
    }

    /// `pattern` uses `9` for any digit; every other char must match exactly.
    fn has_shape(text: &str, pattern: &str) -> bool {
        text.len() == pattern.len()
            && text.bytes().zip(pattern.bytes()).all(|(t, p)| match p {
                b'9' => t.is_ascii_digit(),
                _ => t == p,
            })
    }

    #[test]
    fn same_seed_gives_same_clients() {
        assert_eq!(clients(42, 500), clients(42, 500));
        assert_ne!(clients(42, 50), clients(43, 50));
    }

    #[test]
    fn the_reference_validator_accepts_known_documents() {
        assert!(valid_cpf("529.982.247-25"));
        assert!(!valid_cpf("529.982.247-26"));
        assert!(!valid_cpf("111.111.111-11"));
        assert!(valid_cnpj("11.222.333/0001-81"));
        assert!(!valid_cnpj("11.222.333/0001-82"));
    }

    #[test]
    fn cpfs_and_cnpjs_pass_an_independent_check_digit_validator() {
        let mut rng = Rng::new(7);
        for _ in 0..20_000 {
            let cpf = cpf_digits(&mut rng);
            assert!(cpf.len() == 11 && valid_cpf(&cpf), "{cpf}");
            let cnpj = cnpj_digits(&mut rng);
            assert!(cnpj.len() == 14 && valid_cnpj(&cnpj), "{cnpj}");
        }
        for c in clients(8, 5_000) {
            if c.is_company {
                assert!(valid_cnpj(&c.document), "{}", c.document);
            } else {
                assert!(valid_cpf(&c.document), "{}", c.document);
            }
        }
    }

    #[test]
    fn the_city_table_has_the_real_area_codes() {
        let known = [
            ("São Paulo", "SP", 11),
            ("São José dos Campos", "SP", 12),
            ("Campinas", "SP", 19),
            ("Ribeirão Preto", "SP", 16),
            ("São José do Rio Preto", "SP", 17),
            ("Belo Horizonte", "MG", 31),
            ("Conceição do Mato Dentro", "MG", 31),
            ("Juiz de Fora", "MG", 32),
            ("Uberlândia", "MG", 34),
            ("Poços de Caldas", "MG", 35),
            ("Rio de Janeiro", "RJ", 21),
            ("Niterói", "RJ", 21),
            ("Curitiba", "PR", 41),
            ("Londrina", "PR", 43),
            ("Florianópolis", "SC", 48),
            ("Joinville", "SC", 47),
            ("Porto Alegre", "RS", 51),
            ("Salvador", "BA", 71),
            ("Feira de Santana", "BA", 75),
            ("Recife", "PE", 81),
            ("Fortaleza", "CE", 85),
            ("Goiânia", "GO", 62),
            ("Brasília", "DF", 61),
            ("Belém", "PA", 91),
            ("Manaus", "AM", 92),
            ("São Luís", "MA", 98),
            ("Teresina", "PI", 86),
            ("Natal", "RN", 84),
            ("João Pessoa", "PB", 83),
            ("Maceió", "AL", 82),
            ("Aracaju", "SE", 79),
            ("Vitória", "ES", 27),
            ("Cuiabá", "MT", 65),
            ("Campo Grande", "MS", 67),
        ];
        for (name, state, ddd) in known {
            let city =
                CITIES.iter().find(|c| c.name == name && c.state == state).unwrap_or_else(|| panic!("{name} missing"));
            assert_eq!(city.ddd, ddd, "{name}");
        }
        assert!(CITIES.len() >= 60);
        for (i, a) in CITIES.iter().enumerate() {
            assert!(a.cep.0 <= a.cep.1 && a.cep.1 < 100_000, "{}", a.name);
            assert!(CITIES[i + 1..].iter().all(|b| (a.name, a.state) != (b.name, b.state)), "{} listed twice", a.name);
        }
    }

    #[test]
    fn phones_ddd_matches_city_table() {
        for c in clients(9, 5_000) {
            let city = CITIES
                .iter()
                .find(|x| x.name == c.city && x.state == c.state)
                .expect("generated city comes from the table");
            for phone in &c.phones {
                let ddd: u8 = phone[1..3].parse().unwrap();
                assert_eq!(ddd, city.ddd, "{phone} in {}", c.city);
            }
        }
    }

    #[test]
    fn ten_thousand_clients_have_mostly_distinct_names() {
        let all = clients(10, 10_000);
        let keys: std::collections::HashSet<_> = all.iter().map(|c| (&c.name, &c.document)).collect();
        assert!(keys.len() > 9_000, "{}", keys.len());
        let names: std::collections::HashSet<_> = all.iter().map(|c| &c.name).collect();
        assert!(names.len() > 7_000, "only {} distinct names", names.len());
    }

    #[test]
    fn about_a_fifth_are_companies() {
        let companies = clients(11, 10_000).iter().filter(|c| c.is_company).count();
        assert!((1_700..2_300).contains(&companies), "{companies}");
    }

    #[test]
    fn formatted_shapes_are_as_typed_by_people() {
        for c in clients(12, 10_000) {
            if c.is_company {
                assert!(has_shape(&c.document, "99.999.999/9999-99"), "{}", c.document);
                assert!(!c.trade_name.is_empty());
                let (y, _, _) = c.birth_date;
                assert!((1980..=2024).contains(&y), "{y}");
            } else {
                assert!(has_shape(&c.document, "999.999.999-99"), "{}", c.document);
                assert!(c.trade_name.is_empty());
                let (y, _, _) = c.birth_date;
                assert!((1940..=2006).contains(&y), "{y}");
            }
            let (y, m, d) = c.birth_date;
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
            let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
            assert!((1..=12).contains(&m) && d >= 1 && d <= month_days[m as usize - 1]);

            for text in [&c.name, &c.trade_name, &c.street, &c.complement, &c.district, &c.city] {
                assert_eq!(text.trim(), text.as_str());
                assert!(!text.contains("  "), "{text:?}");
            }
            assert!(c.name.split(' ').count() >= 2, "{}", c.name);
            assert!(!c.street.is_empty() && !c.district.is_empty() && !c.city.is_empty());
            assert!(c.number == "S/N" || c.number.parse::<u32>().is_ok_and(|n| n > 0));
            assert!(c.state.len() == 2 && c.state.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(has_shape(&c.postal_code, "99999-999"), "{}", c.postal_code);

            assert!((1..=3).contains(&c.phones.len()));
            for phone in &c.phones {
                let mobile = has_shape(phone, "(99) 99999-9999") && phone.as_bytes()[5] == b'9';
                let landline = has_shape(phone, "(99) 9999-9999") && (b'2'..=b'5').contains(&phone.as_bytes()[5]);
                assert!(mobile || landline, "{phone}");
            }

            assert!(c.emails.len() <= 2);
            for email in &c.emails {
                let (local, domain) = email.split_once('@').expect("has @");
                assert!(EMAIL_DOMAINS.contains(&domain), "{email}");
                assert!(!local.is_empty() && !local.starts_with('.'), "{email}");
                assert!(
                    local.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_'),
                    "{email}"
                );
            }
        }
    }

    #[test]
    fn mei_legal_names_start_with_their_own_cnpj_root() {
        let meis: Vec<_> = clients(14, 5_000)
            .into_iter()
            .filter(|c| c.is_company && c.name.starts_with(|ch: char| ch.is_ascii_digit()))
            .collect();
        assert!(!meis.is_empty());
        for c in meis {
            assert_eq!(c.name[..10], c.document[..10], "{}", c.name);
            assert_eq!(&c.document[11..15], "0001");
        }
    }

    #[test]
    fn person_emails_come_from_the_name() {
        for c in clients(13, 2_000).iter().filter(|c| !c.is_company) {
            let first = ascii_fold(c.name.split(' ').next().unwrap());
            for email in &c.emails {
                assert!(email.starts_with(&first[..1]), "{email} for {}", c.name);
            }
        }
    }

    #[test]
    fn below_stays_in_range_and_chance_respects_its_bounds() {
        let mut rng = Rng::new(0);
        let mut seen = [false; 7];
        for _ in 0..10_000 {
            let n = rng.below(7);
            assert!(n < 7);
            seen[n as usize] = true;
            assert!(!rng.chance(0));
            assert!(rng.chance(100));
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(*rng.pick(&[5]), 5);
    }
}
