//! Work waiting for a connection waits as a future (`Pool::turn`), on a real in-memory
//! SQLite pool: 200 reads on 2 connections hold at most the 2 blocking threads that
//! have a connection, and a pool that stays busy is `DbError::Busy`.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::*;

/// This process's threads, as the kernel counts them.
fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Threads:")).unwrap();
    line["Threads:".len()..].trim().parse().unwrap()
}

fn pool_of_two(wait: Duration) -> Pool {
    let url = DatabaseUrl::parse(":memory:").unwrap();
    let budget = PoolBudget { connections: 2, wait };
    connect_named(&url, "turns", budget, Duration::from_secs(5)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_beyond_the_pools_connections_wait_without_a_thread_each() {
    let pool = pool_of_two(Duration::from_secs(30));
    let before = threads();
    let (done, most) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let sampler = {
        let (done, most) = (done.clone(), most.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                most.fetch_max(threads(), Ordering::AcqRel);
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let reads: Vec<_> = (0..200)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                run(&pool, |_| {
                    std::thread::sleep(Duration::from_millis(2));
                    Ok(())
                })
                .await
            })
        })
        .collect();
    for read in reads {
        read.await.unwrap().unwrap();
    }
    done.store(true, Ordering::Release);
    sampler.join().unwrap();
    // The sampler, the blocking threads with a connection (tokio may start a fresh one
    // while a finished one is not yet idle) and the other test's runtime running beside
    // this one: a handful. One thread per waiting read, as before turns, was 100 to 200.
    let grew = most.load(Ordering::Acquire).saturating_sub(before);
    assert!(grew <= 16, "{grew} threads more while 200 reads shared 2 connections");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_that_stays_busy_is_busy_after_its_wait() {
    let pool = pool_of_two(Duration::from_millis(100));
    let hold = |pool: Pool| {
        tokio::spawn(async move {
            run(&pool, |_| {
                std::thread::sleep(Duration::from_millis(600));
                Ok(())
            })
            .await
        })
    };
    let held = [hold(pool.clone()), hold(pool.clone())];
    tokio::time::sleep(Duration::from_millis(50)).await;
    let waited = run(&pool, |_| Ok(())).await;
    assert!(matches!(waited, Err(DbError::Busy(_))), "{waited:?}");
    for holding in held {
        holding.await.unwrap().unwrap();
    }
    assert!(run(&pool, |_| Ok(())).await.is_ok(), "free again");
}
