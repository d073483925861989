"""pycarla_rs.doctor() reports this machine as `pycarla doctor --json` does."""

import shutil
from pathlib import Path

import pycarla_rs


def test_doctor_lists_every_carla_with_version_and_formats():
    report = pycarla_rs.doctor()
    assert set(report) >= {
        "carla",
        "jackd",
        "fluidsynth",
        "jalv",
        "soundfont",
        "engine",
        "missing",
    }
    for found in report["carla"]:
        assert Path(found["path"]).is_file()
        assert found["path"].endswith("libcarla_host-plugin.so")
        assert found["version"][0].isdigit(), found
        assert "lv2" in found["formats"], found
    assert report["jackd"] == shutil.which("jackd")
    assert report["engine"] in ("offline", "jack")
    usable = [found for found in report["carla"] if found["unsupported"] is None]
    # The default instrument renders offline exactly where a usable Carla hosts SoundFonts.
    hosts_sf2 = any("sf2" in found["formats"] for found in usable)
    assert (report["engine"] == "offline") == hosts_sf2, report
    for fix in report["missing"]:
        assert fix["missing"] and (fix["debian"] or fix["otherwise"]), fix


def test_an_empty_library_directory_means_no_carla(tmp_path, monkeypatch):
    monkeypatch.setenv("PYCARLA_CARLA_LIBDIR", str(tmp_path))
    report = pycarla_rs.doctor()
    assert report["carla"] == []
    assert any(fix["missing"] == "Carla" for fix in report["missing"])
