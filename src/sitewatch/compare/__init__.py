"""sitewatch.compare: compare a vehicle in ground photos or video with reference photos.

The public face (pinned by ``tests/compare/test_exported_members.py``)::

    compare_files(queries, galleries, out_json, options=CompareOptions(...))
        -> tuple[QueryResult, ...]   # writes JSON and optional panels, atomically
    read_media(path) -> tuple[Frame, ...]          # photo, or a video's keyframes, traced
    load_checklist(families) / parse_marks / assess_marks   # feature checklists
    load_comparison / read_panel / attached_comparisons   # a result file read back, untrusted

Similarities rank galleries; they are not probabilities. See ``comparison.output_document``
for the JSON layout and ``panel.write_panel`` for the figure.
"""

from sitewatch.compare.checklist import (
    Checklist,
    FeatureMark,
    FeatureState,
    VariantVerdict,
    assess_marks,
    load_checklist,
    parse_marks,
)
from sitewatch.compare.comparison import FrameResult, QueryResult, compare_query
from sitewatch.compare.evaluation import evaluate
from sitewatch.compare.gallery import Gallery, build_gallery, parse_gallery_spec, rank_galleries
from sitewatch.compare.local_features import draw_matches, match_local_features
from sitewatch.compare.media import read_exif, read_media
from sitewatch.compare.panel import write_panel
from sitewatch.compare.quicktime import read_quicktime_metadata
from sitewatch.compare.resultfile import attached_comparisons, load_comparison, read_panel
from sitewatch.compare.types import (
    BoxPx,
    Frame,
    FrameTrace,
    GalleryScore,
    LocalFeatureMatch,
    MediaKind,
    ReferenceMatch,
    VehicleCrop,
)
from sitewatch.compare.vehicles import CropAnalyser
from sitewatch.compare.workflow import CompareOptions, compare_files

__all__ = [
    "BoxPx",
    "Checklist",
    "CompareOptions",
    "CropAnalyser",
    "FeatureMark",
    "FeatureState",
    "Frame",
    "FrameResult",
    "FrameTrace",
    "Gallery",
    "GalleryScore",
    "LocalFeatureMatch",
    "MediaKind",
    "QueryResult",
    "ReferenceMatch",
    "VariantVerdict",
    "VehicleCrop",
    "assess_marks",
    "attached_comparisons",
    "build_gallery",
    "compare_files",
    "compare_query",
    "draw_matches",
    "evaluate",
    "load_checklist",
    "load_comparison",
    "match_local_features",
    "parse_gallery_spec",
    "parse_marks",
    "rank_galleries",
    "read_exif",
    "read_media",
    "read_panel",
    "read_quicktime_metadata",
    "write_panel",
]
