//! One compact line per stored event (for logs and player timelines), from the event catalog.
