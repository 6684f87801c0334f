"""The fusion regressors of Rios et al. (plus LightGBM) behind one interface.

``build(kind, params, n_outputs, seed)`` returns an object with ``fit(X, Y, groups, X_dev, Y_dev)``
and ``predict(X) -> (n, n_outputs)``. Single-task kinds predict one dimension; ``ff_mt`` predicts
all dimensions jointly. Missing inputs (NaN) are imputed with the training median inside every
model, after which the ``__present`` masks tell the model what was missing.

``suggest(kind, trial)`` is the Bayesian-optimisation search space of each kind. The paper tunes
KNN, SVR and XGB; the feed-forward nets have a fixed set-up (batch norm → dense sigmoid →
dropout 0.1 → linear, batch 40, CCC loss, best dev-CCC epoch) whose size and learning rate come
from the config.
"""
from __future__ import annotations

import copy
import logging

import numpy as np
import torch
from sklearn.compose import TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GroupShuffleSplit
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR

log = logging.getLogger(__name__)

KINDS = ("knn", "ff", "svr", "xgb", "lgbm", "ff_mt", "mean", "wmean", "best_input")
MULTITASK = ("ff_mt",)
TUNED = ("knn", "svr", "xgb", "lgbm")
# candidates built from the inputs' own predictions of the dimension (inputs that are predictions)
AVERAGES = ("mean", "wmean", "best_input")
NAMES = {"knn": "KNN", "ff": "FF", "svr": "SVR", "xgb": "XGB", "lgbm": "LGBM", "ff_mt": "FF-MT",
         "mean": "Mean", "wmean": "CV-weighted mean", "best_input": "Best input"}
FF_DEFAULTS = {"hidden": 64, "lr": 5e-3, "epochs": 10, "batch_size": 40, "dropout": 0.1, "dev_fraction": 0.2}


def suggest(kind: str, trial, n_rows: int = 10**6) -> dict:
    """Search space of one kind (an optuna trial in, parameters out); {} for the fixed FFs.

    ``n_rows`` (the smallest training fold) bounds the neighbourhood and leaf sizes, so that a small
    corpus (a demo, a 5-speaker VAM subset of segments) is not searched where every model is constant.
    """
    if kind == "knn":
        return {"n_neighbors": trial.suggest_int("n_neighbors", 1, max(1, min(50, n_rows - 1)), log=True),
                "weights": trial.suggest_categorical("weights", ["uniform", "distance"]),
                "p": trial.suggest_categorical("p", [1, 2])}
    if kind == "svr":
        return {"C": trial.suggest_float("C", 1e-3, 1e2, log=True),
                "epsilon": trial.suggest_float("epsilon", 1e-3, 0.5, log=True),
                # RBF width relative to sklearn's "scale" (1 / n_features on standardised inputs):
                # an absolute range fits 4 prosodic inputs or 384 embedding dimensions, never both
                "gamma_scale": trial.suggest_float("gamma_scale", 1e-2, 10.0, log=True)}
    if kind == "xgb":
        return {"n_estimators": trial.suggest_int("n_estimators", 20, 300, log=True),
                "max_depth": trial.suggest_int("max_depth", 2, 8),
                "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
                "subsample": trial.suggest_float("subsample", 0.5, 1.0),
                "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
                "min_child_weight": trial.suggest_float("min_child_weight", 1.0, 20.0, log=True)}
    if kind == "lgbm":
        return {"n_estimators": trial.suggest_int("n_estimators", 20, 300, log=True),
                "num_leaves": trial.suggest_int("num_leaves", 4, 64, log=True),
                "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
                "subsample": trial.suggest_float("subsample", 0.5, 1.0),
                "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
                "min_child_samples": trial.suggest_int("min_child_samples", 2, max(2, min(50, n_rows // 6)), log=True)}
    return {}


class _Sklearn:
    """Median imputation (+ scaling for distance/kernel models) and one sklearn-API regressor per output
    (``make(n_features)`` builds it).

    ``scale_y`` standardises the target too, so that a search range such as the SVR's epsilon means
    the same on labels in [-1, 1] (SEWA) as on 1–5 ratings (EmoBank).
    """

    def __init__(self, make, scale: bool, n_outputs: int, scale_y: bool = False):
        self.make, self.scale, self.n_outputs, self.scale_y = make, scale, n_outputs, scale_y

    def _one(self, n_features: int):
        steps = [SimpleImputer(strategy="median", keep_empty_features=True)] + ([StandardScaler()] if self.scale else [])
        model = make_pipeline(*steps, self.make(n_features))
        return TransformedTargetRegressor(model, transformer=StandardScaler()) if self.scale_y else model

    def fit(self, X, Y, groups=None, X_dev=None, Y_dev=None):
        self.models = [self._one(X.shape[1]).fit(X, Y[:, j]) for j in range(Y.shape[1])]
        return self

    def predict(self, X):
        return np.column_stack([m.predict(X) for m in self.models])


def ccc_loss(pred: torch.Tensor, gold: torch.Tensor) -> torch.Tensor:
    """1 − CCC per output (population moments), averaged over the outputs."""
    pm, gm = pred.mean(0), gold.mean(0)
    cov = ((pred - pm) * (gold - gm)).mean(0)
    ccc = 2 * cov / (pred.var(0, unbiased=False) + gold.var(0, unbiased=False) + (pm - gm) ** 2 + 1e-8)
    return 1 - ccc.mean()


class FeedForward:
    """Batch norm → dense sigmoid → dropout → linear, CCC loss; keeps the epoch with the best dev CCC.

    The dev set is ``X_dev``/``Y_dev`` when given (the official devel partition), else a
    speaker-disjoint ``dev_fraction`` of the training speakers.
    """

    def __init__(self, n_outputs: int, seed: int = 0, n_jobs: int = 1, **params):
        self.n_outputs, self.seed, self.n_jobs = n_outputs, seed, n_jobs
        self.p = {**FF_DEFAULTS, **params}
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    def _net(self, n_in: int) -> torch.nn.Module:
        h = int(self.p["hidden"])
        return torch.nn.Sequential(torch.nn.BatchNorm1d(n_in), torch.nn.Linear(n_in, h), torch.nn.Sigmoid(),
                                   torch.nn.Dropout(float(self.p["dropout"])), torch.nn.Linear(h, self.n_outputs))

    def _split_dev(self, X, Y, groups):
        groups = np.asarray(groups if groups is not None else np.arange(len(X)))
        n_groups = len(np.unique(groups))
        if n_groups < 2:
            groups = np.arange(len(X))
        tr, dev = next(GroupShuffleSplit(n_splits=1, test_size=float(self.p["dev_fraction"]), random_state=self.seed).split(X, Y, groups))
        return X[tr], Y[tr], X[dev], Y[dev]

    def fit(self, X, Y, groups=None, X_dev=None, Y_dev=None):
        if X_dev is None:
            X, Y, X_dev, Y_dev = self._split_dev(X, Y, groups)
        self.imputer = SimpleImputer(strategy="median", keep_empty_features=True).fit(X)
        torch.manual_seed(self.seed)
        if self.device.type == "cpu":  # a tiny net: extra threads only spin (10-50x slower on a busy machine)
            torch.set_num_threads(1)
        rng = np.random.default_rng(self.seed)
        tensor = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float32), device=self.device)  # noqa: E731
        Xt, Yt = tensor(self.imputer.transform(X)), tensor(Y)
        Xd, Yd = tensor(self.imputer.transform(X_dev)), tensor(Y_dev)
        net = self._net(X.shape[1]).to(self.device)
        opt = torch.optim.Adam(net.parameters(), lr=float(self.p["lr"]))
        bs = int(self.p["batch_size"])
        self.best_dev_ccc, self.best_epoch, self.dev_curve = -np.inf, -1, []
        best_state = copy.deepcopy(net.state_dict())
        for epoch in range(int(self.p["epochs"])):
            net.train()
            order = torch.as_tensor(rng.permutation(len(Xt)), device=self.device)
            for lo in range(0, len(order), bs):
                idx = order[lo:lo + bs]
                if len(idx) < 2:  # batch norm needs two rows
                    continue
                opt.zero_grad()
                ccc_loss(net(Xt[idx]), Yt[idx]).backward()
                opt.step()
            net.eval()
            with torch.no_grad():
                dev_ccc = float(1 - ccc_loss(net(Xd), Yd)) if len(Xd) > 1 else float("nan")
            self.dev_curve.append(dev_ccc)
            if dev_ccc > self.best_dev_ccc:
                self.best_dev_ccc, self.best_epoch, best_state = dev_ccc, epoch, copy.deepcopy(net.state_dict())
        net.load_state_dict(best_state)
        self.net = net.eval()
        return self

    def predict(self, X):
        with torch.no_grad():
            x = torch.as_tensor(self.imputer.transform(X).astype(np.float32), device=self.device)
            return self.net(x).cpu().numpy().astype(np.float64)


def _ccc(y, p) -> float:
    ok = np.isfinite(y) & np.isfinite(p)
    if ok.sum() < 2:
        return float("nan")
    y, p = y[ok], p[ok]
    return float(2 * np.mean((y - y.mean()) * (p - p.mean())) / (y.var() + p.var() + (y.mean() - p.mean()) ** 2 + 1e-12))


class Scaled:
    """CCC-aware output scaling (as the AVEC baselines post-scale): predictions shifted and stretched so
    that, on the training rows, they have the training labels' mean and standard deviation."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, Y, groups=None, X_dev=None, Y_dev=None):
        self.model.fit(X, Y, groups, X_dev, Y_dev)
        P = self.model.predict(X)
        self.p_mean, self.p_std = np.nanmean(P, axis=0), np.nanstd(P, axis=0)
        self.y_mean, self.y_std = np.nanmean(Y, axis=0), np.nanstd(Y, axis=0)
        return self

    def predict(self, X):
        P = self.model.predict(X)
        ratio = np.where(self.p_std > 0, self.y_std / np.where(self.p_std > 0, self.p_std, 1.0), 1.0)
        return self.y_mean + (P - self.p_mean) * ratio

    def __getattr__(self, name):  # best_epoch, dev_curve … of the wrapped model
        return getattr(self.__dict__["model"], name)


class InputAverage:
    """The inputs' own predictions of one dimension (``columns``) combined without learning a regressor:
    ``mean`` (equal weights), ``wmean`` (weights ∝ each input's CCC on the training rows, negatives 0),
    ``best_input`` (the input with the best CCC on the training rows). Missing inputs are skipped."""

    def __init__(self, kind: str, columns: list[int]):
        if not columns:
            raise ValueError(f"fusion model {kind!r} needs inputs that are predictions of the dimension (columns named "
                             f"'…__{{dim}}' or '…__{{dim}}_pred', e.g. {{avec: …}} or {{predictions: …}} inputs)")
        self.kind, self.columns = kind, list(columns)

    def fit(self, X, Y, groups=None, X_dev=None, Y_dev=None):
        y = Y[:, 0]
        ccc = np.array([_ccc(y, X[:, c]) for c in self.columns])
        self.input_ccc = ccc.tolist()
        if self.kind == "mean":
            w = np.ones(len(self.columns))
        elif self.kind == "wmean":
            w = np.clip(np.nan_to_num(ccc, nan=0.0), 0, None)
            w = w if w.sum() > 0 else np.ones(len(self.columns))
        else:
            w = np.zeros(len(self.columns))
            w[int(np.argmax(np.nan_to_num(ccc, nan=-np.inf)))] = 1.0
        self.weights = w / w.sum()
        return self

    def predict(self, X):
        V = X[:, self.columns]
        ok = np.isfinite(V) & (self.weights > 0)
        num = np.where(ok, V, 0.0) @ self.weights
        den = ok.astype(float) @ self.weights
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / den, np.nan)[:, None]


def build(kind: str, params: dict, n_outputs: int = 1, seed: int = 0, n_jobs: int = 1, scale_output: bool = False):
    """One model; ``scale_output`` wraps it in :class:`Scaled` (the averages always are, ``best_input`` never)."""
    if kind in AVERAGES:
        model = InputAverage(kind, params.get("columns", []))
        return Scaled(model) if kind != "best_input" else model
    model = _build(kind, params, n_outputs, seed, n_jobs)
    return Scaled(model) if scale_output else model


def _build(kind: str, params: dict, n_outputs: int = 1, seed: int = 0, n_jobs: int = 1):
    if kind == "knn":
        return _Sklearn(lambda d: KNeighborsRegressor(**params), scale=True, n_outputs=n_outputs)
    if kind == "svr":
        svr = {k: v for k, v in params.items() if k != "gamma_scale"}
        return _Sklearn(lambda d: SVR(kernel="rbf", **svr, gamma=params.get("gamma_scale", 1.0) / max(d, 1)),
                        scale=True, n_outputs=n_outputs, scale_y=True)
    if kind == "xgb":
        from xgboost import XGBRegressor
        return _Sklearn(lambda d: XGBRegressor(**params, random_state=seed, n_jobs=n_jobs, tree_method="hist", verbosity=0),
                        scale=False, n_outputs=n_outputs)
    if kind == "lgbm":
        from lightgbm import LGBMRegressor
        return _Sklearn(lambda d: LGBMRegressor(**params, subsample_freq=1, random_state=seed, n_jobs=n_jobs, verbose=-1),
                        scale=False, n_outputs=n_outputs)
    if kind in ("ff", "ff_mt"):
        return FeedForward(n_outputs, seed=seed, n_jobs=n_jobs, **params)
    raise ValueError(f"unknown fusion model kind {kind!r}; expected one of {KINDS}")
