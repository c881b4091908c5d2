-- AlterEnum
ALTER TYPE "DraftKind" ADD VALUE 'propose_times';
