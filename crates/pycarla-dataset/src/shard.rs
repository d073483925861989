//! Shards: one machine of a cluster renders every n-th input of the sorted plan, from the k-th
//! — named explicitly, or by Slurm's job-array variables, or by Kubernetes' indexed jobs.

use std::str::FromStr;

use crate::error::{Error, Result};
use crate::plan::Job;

/// Shard `k` of `n` (0-based, `k < n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl Shard {
    /// Shard `k` of `n`, checked.
    pub fn new(k: usize, n: usize) -> Result<Shard> {
        if n == 0 || k >= n {
            return Err(Error::Shard {
                text: format!("{k}/{n}"),
                why: "K must be below N, and N above zero".into(),
            });
        }
        Ok(Shard { k, n })
    }

    /// The shard the environment names: Slurm's `SLURM_ARRAY_TASK_ID` and
    /// `SLURM_ARRAY_TASK_COUNT` (counted from `SLURM_ARRAY_TASK_MIN`), else Kubernetes'
    /// `JOB_COMPLETION_INDEX` of `shards`; `None` outside both.
    pub fn from_env(shards: Option<usize>) -> Result<Option<Shard>> {
        Shard::from_vars(|name| std::env::var(name).ok(), shards)
    }

    /// [`Shard::from_env`] over any variable lookup.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        shards: Option<usize>,
    ) -> Result<Option<Shard>> {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let number = |name: &str, text: &str| {
            text.trim().parse::<usize>().map_err(|_| Error::Shard {
                text: format!("{name}={text}"),
                why: "not a whole number".into(),
            })
        };
        if let (Some(id), Some(count)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT"))
        {
            // Array indices may start anywhere (--array=1-8): shard K counts from the first.
            let first = var("SLURM_ARRAY_TASK_MIN")
                .map_or(Ok(0), |min| number("SLURM_ARRAY_TASK_MIN", &min))?;
            let k = number("SLURM_ARRAY_TASK_ID", &id)?
                .checked_sub(first)
                .ok_or_else(|| Error::Shard {
                    text: format!("SLURM_ARRAY_TASK_ID={id}"),
                    why: "below SLURM_ARRAY_TASK_MIN".into(),
                })?;
            return Shard::new(k, number("SLURM_ARRAY_TASK_COUNT", &count)?).map(Some);
        }
        if let Some(index) = var("JOB_COMPLETION_INDEX") {
            let n = shards.ok_or_else(|| Error::Shard {
                text: format!("JOB_COMPLETION_INDEX={index}"),
                why: "the number of shards is not given".into(),
            })?;
            return Shard::new(number("JOB_COMPLETION_INDEX", &index)?, n).map(Some);
        }
        Ok(None)
    }

    /// This shard's jobs: the jobs sorted by MIDI path, every n-th from the k-th — the same
    /// share for the same inputs however they were listed.
    pub fn take(self, mut jobs: Vec<Job>) -> Vec<Job> {
        jobs.sort_by(|a, b| a.midi.cmp(&b.midi));
        jobs.into_iter().skip(self.k).step_by(self.n).collect()
    }
}

impl FromStr for Shard {
    type Err = Error;

    /// `K/N`, e.g. `0/4`.
    fn from_str(text: &str) -> Result<Shard> {
        let bad = |why: &str| Error::Shard {
            text: text.to_string(),
            why: why.to_string(),
        };
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| bad("expected K/N, e.g. 0/4"))?;
        let number = |part: &str| {
            part.trim()
                .parse::<usize>()
                .map_err(|_| bad("expected K/N"))
        };
        Shard::new(number(k)?, number(n)?)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn jobs(names: &[&str]) -> Vec<Job> {
        names
            .iter()
            .map(|name| Job {
                key: name.to_string(),
                midi: PathBuf::from(format!("{name}.mid")),
                output: PathBuf::from(format!("{name}.wav")),
                onsets: None,
            })
            .collect()
    }

    #[test]
    fn shards_split_the_sorted_inputs_without_overlap_or_loss() {
        let all = jobs(&["d", "a", "c", "b", "e"]);
        let mut seen: Vec<PathBuf> = (0..3)
            .flat_map(|k| Shard::new(k, 3).unwrap().take(all.clone()))
            .map(|j| j.midi)
            .collect();
        seen.sort();
        let sorted: Vec<PathBuf> = jobs(&["a", "b", "c", "d", "e"])
            .into_iter()
            .map(|j| j.midi)
            .collect();
        assert_eq!(seen, sorted);
        let second: Vec<PathBuf> = "1/2"
            .parse::<Shard>()
            .unwrap()
            .take(all)
            .into_iter()
            .map(|j| j.midi)
            .collect();
        assert_eq!(second, [PathBuf::from("b.mid"), PathBuf::from("d.mid")]);
    }

    #[test]
    fn shards_come_from_slurm_or_kubernetes_and_bad_ones_are_refused() {
        fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        }
        let slurm = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ];
        assert_eq!(
            Shard::from_vars(vars(&slurm), None).unwrap(),
            Some(Shard { k: 2, n: 4 })
        );
        let k8s = [("JOB_COMPLETION_INDEX", "1")];
        assert_eq!(
            Shard::from_vars(vars(&k8s), Some(2)).unwrap(),
            Some(Shard { k: 1, n: 2 })
        );
        assert!(Shard::from_vars(vars(&k8s), None).is_err());
        assert_eq!(Shard::from_vars(vars(&[]), None).unwrap(), None);
        for bad in ["3/3", "1", "a/2", "0/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
