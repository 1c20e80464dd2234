-- Reserved: 0016 belongs to a branch developed alongside this one (issue 24). This empty
-- file only keeps the numbering gapless on this branch; drop it when merging after that branch.
SELECT 1;
