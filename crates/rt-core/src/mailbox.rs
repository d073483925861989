//! Handing work to a running process callback, and getting it back, without the callback ever
//! allocating or freeing: jobs travel as `Box`es through two `rtrb` rings.

/// The non-real-time side: sends jobs, and frees the jobs the callback has finished with.
#[derive(Debug)]
pub struct Postman<J> {
    inbox: rtrb::Producer<Box<J>>,
    outbox: rtrb::Consumer<Box<J>>,
}

/// The callback's side: takes a new job at the start of a cycle, returning the old one.
#[derive(Debug)]
pub struct Mailbox<J> {
    inbox: rtrb::Consumer<Box<J>>,
    outbox: rtrb::Producer<Box<J>>,
}

/// A connected pair.
pub fn mailbox<J>() -> (Postman<J>, Mailbox<J>) {
    // One job in flight, and room for two to return: the postman frees returned jobs before
    // each send, so at most one ever waits there.
    let (inbox_tx, inbox_rx) = rtrb::RingBuffer::new(1);
    let (outbox_tx, outbox_rx) = rtrb::RingBuffer::new(2);
    (
        Postman {
            inbox: inbox_tx,
            outbox: outbox_rx,
        },
        Mailbox {
            inbox: inbox_rx,
            outbox: outbox_tx,
        },
    )
}

impl<J> Postman<J> {
    /// Frees returned jobs, then sends `job`; gives it back if the previous one is still
    /// waiting to be taken.
    pub fn send(&mut self, job: Box<J>) -> Result<(), Box<J>> {
        while self.outbox.pop().is_ok() {}
        self.inbox
            .push(job)
            .map_err(|rtrb::PushError::Full(job)| job)
    }

    /// Whether the callback has taken the last job sent.
    pub fn delivered(&self) -> bool {
        self.inbox.slots() == self.inbox.buffer().capacity()
    }
}

impl<J> Mailbox<J> {
    /// In the callback: installs a waiting job in `current`, handing the old one back.
    /// Allocation-free. The return ring cannot be full (see [`mailbox`]); were it ever, the old
    /// job would be leaked rather than freed in the callback.
    pub fn collect(&mut self, current: &mut Option<Box<J>>) {
        if let Ok(new) = self.inbox.pop()
            && let Some(old) = current.replace(new)
            && let Err(rtrb::PushError::Full(old)) = self.outbox.push(old)
        {
            std::mem::forget(old);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn jobs_go_in_and_come_back_to_be_freed() {
        let (mut postman, mut mailbox) = super::mailbox::<u32>();
        let mut current = None;
        mailbox.collect(&mut current);
        assert_eq!(current, None);
        postman.send(Box::new(1)).unwrap();
        assert!(!postman.delivered());
        assert_eq!(postman.send(Box::new(9)), Err(Box::new(9)));
        mailbox.collect(&mut current);
        assert!(postman.delivered());
        assert_eq!(current.as_deref(), Some(&1));
        postman.send(Box::new(2)).unwrap();
        mailbox.collect(&mut current);
        assert_eq!(current.as_deref(), Some(&2));
        assert_eq!(mailbox.outbox.slots(), 1, "job 1 is waiting to be freed");
        postman.send(Box::new(3)).unwrap();
        assert_eq!(mailbox.outbox.slots(), 2, "freed by the postman");
    }
}
