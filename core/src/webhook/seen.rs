//! An idempotent consumer: a bounded set of processed operation ids.

use super::envelope::clip;
use crate::error::{err, Result};
use std::collections::{HashSet, VecDeque};

/// A bounded set of seen operation ids: the newest `capacity` are remembered, the oldest is
/// forgotten first. A receiver calls [`SeenIds::first_time`] and processes the event only when
/// it returns `true`, so redeliveries (at-least-once) are processed once.
#[derive(Debug, Clone)]
pub struct SeenIds {
    capacity: usize,
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl SeenIds {
    /// An empty set remembering at most `capacity` ids (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            set: HashSet::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
        }
    }

    /// Records `id`; `true` if it was not remembered (process the event), `false` if it was
    /// (a duplicate: skip it). Recording a new id beyond capacity forgets the oldest.
    pub fn first_time(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.set.remove(&oldest);
            }
        }
        self.set.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        true
    }

    /// Like [`SeenIds::first_time`], but a duplicate is a `DUPLICATE_OPERATION` error.
    pub fn record(&mut self, id: &str) -> Result<()> {
        if self.first_time(id) {
            Ok(())
        } else {
            Err(err::duplicate_operation(format!(
                "operation_id '{}' was already processed",
                clip(id)
            )))
        }
    }

    /// Whether `id` is remembered.
    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The most ids remembered at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}
