"""Differential fuzzer for st_ad.

Random programs inside st_ad's supported subset (``generate.py``) are differentiated in every
mode and compared with the plain Python function and finite differences (``check.py``);
failing programs are minimised structurally (``shrink.py``). ``python -m tests.fuzz`` runs
batches in worker processes (``pool.py``); ``python -m tests.fuzz.check CASE.py`` checks one
saved case. Kept minimal cases live in ``tests/fuzz/cases/``.

Modules: ``program`` (the program model and case files), ``scope``/``exprs``/``statements``/
``generate`` (the generator), ``fd`` (finite differences at two steps), ``outcome`` and
``check`` (the checks), ``mutate``/``shrink`` (the shrinker), ``pool``/``runner``/``report``/
``__main__`` (batches). Only ``check`` and ``shrink`` import st_ad (and so numba): the batch's
parent process never does, and each worker sets ``NUMBA_CACHE_DIR``, ``ST_AD_CACHE_DIR`` and
``NUMBA_OPT=0`` before loading them.

    python -m tests.fuzz --n 200 --seed 1 --jobs 2 --out fuzz-out --shrink
    python -m tests.fuzz.check tests/fuzz/cases/NAME.py        # or --case FILE
    python -m tests.fuzz.shrink failing.py -o tests/fuzz/cases/NAME.py
    python -m tests.fuzz.generate --seed 1 --index 5           # print one program
"""
