-- Reserved: 0013 belongs to a branch developed alongside this one (issue 20 or 22). This empty
-- file only keeps the numbering gapless on this branch; drop it when merging after that branch.
SELECT 1;
