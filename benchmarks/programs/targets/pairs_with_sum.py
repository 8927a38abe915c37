"""All index pairs (i < j) whose values add up to a target, in index order."""


def pairs_with_sum(nums: list[int], target: int) -> int:
    count = 0
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            if nums[i] + nums[j] == target:
                count += 1
    return count
