"""A trained model as a file: implicit's ALS item factors, LightFM's feature embeddings, regional
popularity and the blend weights, in one NumPy archive read without pickle.

Nothing in it belongs to one person: ALS user factors are worked out again from a person's own
interactions when they are scored, and LightFM describes people by features, not by identity.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FORMAT = 1


class ArtifactBroken(Exception):
    """The artifact is missing, corrupt or of another format."""


@dataclass
class Artifact:
    item_codes: list[str]
    als_item_factors: np.ndarray  # (items, factors)
    als_regularization: float
    als_alpha: float
    lightfm_user_features: list[str]
    lightfm_user_embeddings: np.ndarray  # (user features, components)
    lightfm_user_biases: np.ndarray  # (user features,)
    lightfm_item_embeddings: np.ndarray  # (items, components): item representations with their features
    lightfm_item_biases: np.ndarray  # (items,)
    popularity_prefectures: list[str]  # rows of `popularity`; the last row is the whole province
    popularity: np.ndarray  # (prefectures + 1, items), each row sums to one
    blend: dict[str, float] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            format=np.array(FORMAT),
            item_codes=np.array(self.item_codes),
            als_item_factors=self.als_item_factors,
            als_parameters=np.array([self.als_regularization, self.als_alpha]),
            lightfm_user_features=np.array(self.lightfm_user_features),
            lightfm_user_embeddings=self.lightfm_user_embeddings,
            lightfm_user_biases=self.lightfm_user_biases,
            lightfm_item_embeddings=self.lightfm_item_embeddings,
            lightfm_item_biases=self.lightfm_item_biases,
            popularity_prefectures=np.array(self.popularity_prefectures),
            popularity=self.popularity,
            blend_names=np.array(sorted(self.blend)),
            blend_weights=np.array([self.blend[name] for name in sorted(self.blend)], dtype=np.float64),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, content: bytes, *, checksum: str = "") -> Artifact:
        if checksum and hashlib.sha256(content).hexdigest() != checksum:
            raise ArtifactBroken("the artifact's checksum does not match the registry")
        try:
            with np.load(io.BytesIO(content), allow_pickle=False) as archive:
                if int(archive["format"]) != FORMAT:
                    raise ArtifactBroken(f"artifact format {int(archive['format'])} is not {FORMAT}")
                arrays: dict[str, Any] = {name: archive[name] for name in archive.files}
        except ArtifactBroken:
            raise
        except Exception as error:  # a truncated or foreign file fails in many ways inside NumPy and zipfile
            raise ArtifactBroken(f"the artifact cannot be read: {error}") from error
        regularization, alpha = arrays["als_parameters"].tolist()
        return cls(
            item_codes=arrays["item_codes"].tolist(),
            als_item_factors=arrays["als_item_factors"],
            als_regularization=regularization,
            als_alpha=alpha,
            lightfm_user_features=arrays["lightfm_user_features"].tolist(),
            lightfm_user_embeddings=arrays["lightfm_user_embeddings"],
            lightfm_user_biases=arrays["lightfm_user_biases"],
            lightfm_item_embeddings=arrays["lightfm_item_embeddings"],
            lightfm_item_biases=arrays["lightfm_item_biases"],
            popularity_prefectures=arrays["popularity_prefectures"].tolist(),
            popularity=arrays["popularity"],
            blend=dict(zip(arrays["blend_names"].tolist(), arrays["blend_weights"].tolist(), strict=True)),
        )


def checksum_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
