// Browser tests share two cores with a portal, an identity provider and Chromium per class: one class at a time
// keeps their timing realistic.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
