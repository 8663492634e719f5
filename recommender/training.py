"""Fitting the models: implicit's ALS on interactions, LightFM on interactions with user and item
features, and regional popularity; together they make one Artifact."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares
from lightfm import LightFM
from scipy import sparse
from threadpoolctl import threadpool_limits

from recommender.artifact import Artifact
from recommender.features import (
    UNKNOWN,
    CatalogIndex,
    People,
    item_feature_matrix,
    item_feature_names,
    user_feature_matrix,
    user_feature_names,
)
from recommender.scoring import DEFAULT_BLEND
from services_portal.reference import regions


@dataclass(frozen=True)
class TrainingParameters:
    # A catalog of about a hundred services needs few factors; stronger regularisation measured better.
    als_factors: int = 16
    als_iterations: int = 15
    als_regularization: float = 1.0
    als_alpha: float = 2.0
    lightfm_components: int = 32
    lightfm_epochs: int = 15
    lightfm_learning_rate: float = 0.05
    lightfm_alpha: float = 1e-6
    window_days: int = 365
    holdout_days: int = 14
    k: int = 10
    seed: int = 20261123

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Timings:
    als_seconds: float = 0.0
    lightfm_seconds: float = 0.0


def als_fit(positives: sparse.csr_array, parameters: TrainingParameters) -> np.ndarray:
    """Item factors learnt from the (people, items) confidence matrix."""
    model = AlternatingLeastSquares(
        factors=parameters.als_factors,
        iterations=parameters.als_iterations,
        regularization=parameters.als_regularization,
        alpha=parameters.als_alpha,
        random_state=parameters.seed,
        # One thread: the same data and seed give the same model, which an audit can reproduce.
        num_threads=1,
    )
    # ALS is many small solves: threads in BLAS only fight over the cores implicit already uses.
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(sparse.csr_matrix(positives), show_progress=False)
    return np.asarray(model.item_factors, dtype=np.float32)


def lightfm_fit(
    positives: sparse.csr_array,
    user_features: sparse.csr_array,
    item_features: sparse.csr_array,
    parameters: TrainingParameters,
) -> LightFM:
    model = LightFM(
        no_components=parameters.lightfm_components,
        loss="warp",
        learning_rate=parameters.lightfm_learning_rate,
        user_alpha=parameters.lightfm_alpha,
        item_alpha=parameters.lightfm_alpha,
        random_state=parameters.seed,
    )
    liked = sparse.coo_matrix((positives > 0).astype(np.float32))
    # LightFM's Cython loops take 32-bit indices; SciPy may hand out 64-bit ones.
    interactions = sparse.coo_matrix(
        (liked.data, (liked.row.astype(np.int32), liked.col.astype(np.int32))), shape=liked.shape
    )
    model.fit(
        interactions,
        user_features=sparse.csr_matrix(user_features),
        item_features=sparse.csr_matrix(item_features),
        epochs=parameters.lightfm_epochs,
        num_threads=1,
    )
    return model


@dataclass
class Learners:
    """What fitting needs of the people in the training window, built a chunk of people at a time:
    sparse matrices and one short array a person, never a whole People."""

    positives: sparse.csr_array  # (people, items) float32: summed weights of positive interactions
    positive_count: np.ndarray  # (people,) int
    prefecture: np.ndarray  # (people,) str: the city code, or UNKNOWN
    user_features: sparse.csr_array  # (people, user_feature_names) LightFM's user features

    def __len__(self) -> int:
        return len(self.positive_count)

    @staticmethod
    def of(people: People, index: CatalogIndex) -> Learners:
        return Learners(
            positives=sparse.csr_array(people.positives, dtype=np.float32),
            positive_count=np.asarray(people.positive_count),
            prefecture=np.array(people.prefecture, dtype="U8"),
            user_features=user_feature_matrix(people, user_feature_names(index)),
        )

    @staticmethod
    def concatenate(parts: list[Learners], index: CatalogIndex) -> Learners:
        if not parts:
            return Learners(
                positives=sparse.csr_array((0, len(index)), dtype=np.float32),
                positive_count=np.zeros(0, dtype=np.int32),
                prefecture=np.zeros(0, dtype="U8"),
                user_features=sparse.csr_array((0, len(user_feature_names(index))), dtype=np.float32),
            )
        return Learners(
            positives=sparse.csr_array(sparse.vstack([p.positives for p in parts], format="csr")),
            positive_count=np.concatenate([p.positive_count for p in parts]),
            prefecture=np.concatenate([p.prefecture for p in parts]),
            user_features=sparse.csr_array(sparse.vstack([p.user_features for p in parts], format="csr")),
        )


def popularity_fit(learners: Learners) -> tuple[list[str], np.ndarray]:
    """Share of positive interactions per service, per city and for the whole province."""
    cities = sorted(r.code[:4] for r in regions.all_regions() if r.level == "city")
    liked = sparse.csr_array((learners.positives > 0).astype(np.float64))
    row_of = {city: i for i, city in enumerate(cities)}
    city_row = np.array([row_of.get(str(p), -1) if p != UNKNOWN else -1 for p in learners.prefecture], dtype=np.int64)
    known = np.flatnonzero(city_row >= 0)
    # People to cities as a sparse 0/1 matrix: its product with what they liked counts per city.
    in_city = sparse.csr_array((np.ones(len(known)), (city_row[known], known)), shape=(len(cities), len(learners)))
    counts = np.zeros((len(cities) + 1, liked.shape[1]))
    counts[:-1] = (in_city @ liked).toarray() if len(known) else 0.0
    counts[-1] = np.asarray(liked.sum(axis=0)).ravel()
    # A city with little data leans on the province: add the province's shares as a prior of 20 people.
    province = counts[-1] / max(counts[-1].sum(), 1.0)
    smoothed = counts[:-1] + 20 * province
    shares = np.vstack([smoothed / smoothed.sum(axis=1, keepdims=True), province[None, :]])
    return cities, shares.astype(np.float32)


def artifact_fit(learners: Learners, index: CatalogIndex, parameters: TrainingParameters) -> tuple[Artifact, Timings]:
    """Fit every model on the people's interactions; only people with some positive interaction teach."""
    teaching = np.flatnonzero(learners.positive_count > 0)
    positives = learners.positives[teaching]
    timings = Timings()
    started = time.perf_counter()
    item_factors = als_fit(positives, parameters)
    timings.als_seconds = time.perf_counter() - started

    user_names = user_feature_names(index)
    item_names = item_feature_names(index)
    item_features = item_feature_matrix(index, item_names)
    started = time.perf_counter()
    lightfm = lightfm_fit(positives, learners.user_features[teaching], item_features, parameters)
    timings.lightfm_seconds = time.perf_counter() - started
    item_biases, item_embeddings = lightfm.get_item_representations(sparse.csr_matrix(item_features))
    cities, popularity = popularity_fit(learners)
    artifact = Artifact(
        item_codes=list(index.codes),
        als_item_factors=item_factors,
        als_regularization=parameters.als_regularization,
        als_alpha=parameters.als_alpha,
        lightfm_user_features=user_names,
        lightfm_user_embeddings=np.asarray(lightfm.user_embeddings, dtype=np.float32),
        lightfm_user_biases=np.asarray(lightfm.user_biases, dtype=np.float32),
        lightfm_item_embeddings=np.asarray(item_embeddings, dtype=np.float32),
        lightfm_item_biases=np.asarray(item_biases, dtype=np.float32),
        popularity_prefectures=cities,
        popularity=popularity,
        blend={str(source): weight for source, weight in DEFAULT_BLEND.items()},
    )
    return artifact, timings
