# DEV STUB — not committed; replaced by the extract branch.
import hashlib

from worker.media.decode import open_image


def extract_metadata(data, name, *, pixels=True, max_pixels=100_000_000):
    image, fmt = open_image(data, max_pixels=max_pixels)
    return {
        "file": {
            "name": name,
            "size": len(data),
            "mimeType": fmt.mime,
            "md5": hashlib.md5(data).hexdigest(),
        },
        "image": {"format": fmt.name, "width": image.width, "height": image.height},
    }
