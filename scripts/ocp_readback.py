"""Reads STEP files with OpenCascade (cadquery-ocp) and reports each as JSON.

Test-only: shared/cad's `ocp_readback` test runs it with the venv made by
scripts/ocp-venv.sh. Usage: ocp_readback.py FILE.step [...]; prints one JSON
object per file on its own line:
  {"file", "read_ok", "solids", "shells", "valid", "closed", "volume_mm3",
   "bbox_mm": [xmin, ymin, zmin, xmax, ymax, zmax]}
"""
import json
import sys

from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepBndLib import BRepBndLib
from OCP.Bnd import Bnd_Box
from OCP.BRepGProp import BRepGProp
from OCP.GProp import GProp_GProps
from OCP.IFSelect import IFSelect_RetDone
from OCP.STEPControl import STEPControl_Reader
from OCP.TopAbs import TopAbs_SHELL, TopAbs_SOLID
from OCP.TopExp import TopExp_Explorer
from OCP.BRep import BRep_Tool
from OCP.TopoDS import TopoDS


def count(shape, kind):
    n = 0
    exp = TopExp_Explorer(shape, kind)
    while exp.More():
        n += 1
        exp.Next()
    return n


def report(path):
    reader = STEPControl_Reader()
    if reader.ReadFile(path) != IFSelect_RetDone:
        return {"file": path, "read_ok": False}
    reader.TransferRoots()
    shape = reader.OneShape()
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, props)
    box = Bnd_Box()
    BRepBndLib.AddOptimal_s(shape, box, False, False)
    closed = True
    exp = TopExp_Explorer(shape, TopAbs_SHELL)
    while exp.More():
        closed = closed and BRep_Tool.IsClosed_s(TopoDS.Shell(exp.Current()))
        exp.Next()
    return {
        "file": path,
        "read_ok": True,
        "solids": count(shape, TopAbs_SOLID),
        "shells": count(shape, TopAbs_SHELL),
        "valid": bool(BRepCheck_Analyzer(shape).IsValid()),
        "closed": bool(closed),
        "volume_mm3": props.Mass(),
        "bbox_mm": [box.CornerMin().X(), box.CornerMin().Y(), box.CornerMin().Z(),
                    box.CornerMax().X(), box.CornerMax().Y(), box.CornerMax().Z()],
    }


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(json.dumps(report(p)), flush=True)
