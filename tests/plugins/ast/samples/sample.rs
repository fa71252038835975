use std::collections::HashMap;
use std::fmt::{self, Display};

pub struct Ledger {
    entries: HashMap<String, i64>,
}

impl Ledger {
    pub fn new() -> Self {
        Ledger { entries: HashMap::new() }
    }

    pub fn post(&mut self, account: &str, amount: i64) -> Result<(), String> {
        if amount == 0 || account.is_empty() {
            return Err("empty posting".to_string());
        }
        *self.entries.entry(account.to_string()).or_insert(0) += amount;
        Ok(())
    }
}

fn sign(n: i64) -> &'static str {
    match n {
        0 => "zero",
        x if x > 0 => "positive",
        _ => "negative",
    }
}
